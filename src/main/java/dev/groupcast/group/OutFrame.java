package dev.groupcast.group;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;

import java.util.function.Function;

/**
 * One outbound text frame, encoded once and written to any number of sessions: the UTF-8 bytes are
 * shared, never copied per member, and so is the transport's wire form of them ({@link #wire}).
 */
public final class OutFrame {

  private volatile String text;
  private final Buffer utf8;
  /** Written to many connections (a group message), rather than to one (an ack, an error). */
  private final boolean shared;
  /** The transport's whole frame (e.g. WebSocket header and payload), built on first use. */
  private volatile ByteBuf wire;

  private OutFrame(String text, Buffer utf8, boolean shared) {
    this.text = text;
    this.utf8 = utf8;
    this.shared = shared;
  }

  /** A frame for one connection (an answer, an error). */
  static OutFrame single(String text) {
    return new OutFrame(text, Buffer.buffer(text), false);
  }

  /** A frame for many connections (a group message). */
  static OutFrame shared(String text) {
    return new OutFrame(text, Buffer.buffer(text), true);
  }

  /** A group message as it came from another node: its UTF-8 bytes as they are, the text on demand. */
  static OutFrame shared(Buffer utf8) {
    return new OutFrame(null, utf8, true);
  }

  public String text() {
    String t = text;
    if (t == null) {
      t = utf8.toString();
      text = t;
    }
    return t;
  }

  public Buffer utf8() {
    return utf8;
  }

  /** Whether the frame goes to many connections: worth a buffer the whole node shares. */
  public boolean shared() {
    return shared;
  }

  /**
   * The frame as the transport puts it on the wire, built by {@code framing} on first use and kept,
   * so a message fanned out to many members is framed once per node. One transport frames messages
   * this way (WebSocket); two threads racing to build it build the same bytes.
   */
  public ByteBuf wire(Function<OutFrame, ByteBuf> framing) {
    ByteBuf frame = wire;
    if (frame == null) {
      frame = framing.apply(this);
      wire = frame;
    }
    return frame;
  }

  @Override
  public String toString() {
    return text;
  }
}
