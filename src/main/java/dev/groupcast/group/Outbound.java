package dev.groupcast.group;

/** What a transport offers a {@link Session}: a way to send a frame and to close. */
public interface Outbound {

  void send(OutFrame frame);

  /** Consecutive messages of a group, in order; a transport that can writes them at once. */
  default void send(FrameRun run) {
    for (int i = 0; i < run.size(); i++) {
      send(run.frame(i));
    }
  }

  /** Closes the connection with a WebSocket-style close code. */
  void close(int code, String reason);

  /**
   * Stops reading from the client for {@code nanos}: a client past its budget is slowed down at the
   * socket (TCP pushes back on it) rather than answered frame by frame, so a flood costs the node
   * about as much as a client keeping to its budget. A transport that cannot pause ignores it.
   */
  default void pauseInput(long nanos) {
  }

  /** The transport's name in metrics: {@code ws}, {@code sockjs}. */
  String transport();
}
