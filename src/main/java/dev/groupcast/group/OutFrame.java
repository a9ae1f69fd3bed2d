package dev.groupcast.group;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * One outbound text frame, encoded once and written to any number of sessions: the UTF-8 bytes are
 * shared, never copied per member.
 */
public final class OutFrame {

  private final String text;
  private final Buffer utf8;
  /** The whole server-to-client WebSocket frame (header and payload), built on first use. */
  private volatile ByteBuf webSocketFrame;

  OutFrame(String text) {
    this.text = text;
    this.utf8 = Buffer.buffer(text);
  }

  public String text() {
    return text;
  }

  public Buffer utf8() {
    return utf8;
  }

  /**
   * The frame as it goes on a WebSocket, unmasked as the server sends it: one final text frame. Each
   * connection writes a {@code retainedDuplicate()}, so a message fanned out to many members is
   * framed once per node. Two threads racing to build it build the same bytes.
   */
  public ByteBuf webSocketFrame() {
    ByteBuf frame = webSocketFrame;
    if (frame == null) {
      ByteBuf payload = ((BufferInternal) utf8).getByteBuf();
      int length = payload.readableBytes();
      int headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
      frame = Unpooled.buffer(headerLength + length);
      frame.writeByte(0x81); // FIN + text
      if (length < 126) {
        frame.writeByte(length);
      } else if (length < 65536) {
        frame.writeByte(126).writeShort(length);
      } else {
        frame.writeByte(127).writeLong(length);
      }
      frame.writeBytes(payload, payload.readerIndex(), length);
      webSocketFrame = frame;
    }
    return frame;
  }

  @Override
  public String toString() {
    return text;
  }
}
