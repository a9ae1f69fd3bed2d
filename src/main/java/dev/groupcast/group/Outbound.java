package dev.groupcast.group;

/** What a transport offers a {@link Session}: a way to send a frame and to close. */
public interface Outbound {

  void send(OutFrame frame);

  /** Closes the connection with a WebSocket-style close code. */
  void close(int code, String reason);

  /** The transport's name in metrics: {@code ws}, {@code sockjs}. */
  String transport();
}
