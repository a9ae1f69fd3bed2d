package dev.groupcast.group;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.nio.ByteBuffer;

/**
 * One outbound text frame, encoded once and written to any number of sessions: the UTF-8 bytes are
 * shared, never copied per member.
 */
public final class OutFrame {

  private final String text;
  private final Buffer utf8;
  /** Written to many connections (a group message), rather than to one (an ack, an error). */
  private final boolean shared;
  /** The whole server-to-client WebSocket frame (header and payload), built on first use. */
  private volatile ByteBuf webSocketFrame;

  OutFrame(String text, boolean shared) {
    this.text = text;
    this.utf8 = Buffer.buffer(text);
    this.shared = shared;
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
      // shared: direct memory, since epoll copies a heap buffer into a direct one on every write, i.e.
      // per member; a JDK buffer, freed by the garbage collector, as the frame has no single owner to
      // release it. One recipient: a heap buffer, copied once, costs less than a direct allocation.
      int size = headerLength + length;
      ByteBuffer bytes = shared ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
      bytes.put((byte) 0x81); // FIN + text
      if (length < 126) {
        bytes.put((byte) length);
      } else if (length < 65536) {
        bytes.put((byte) 126).putShort((short) length);
      } else {
        bytes.put((byte) 127).putLong(length);
      }
      payload.getBytes(payload.readerIndex(), bytes);
      bytes.flip();
      frame = Unpooled.wrappedBuffer(bytes);
      webSocketFrame = frame;
    }
    return frame;
  }

  @Override
  public String toString() {
    return text;
  }
}
