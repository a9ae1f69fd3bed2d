package dev.groupcast.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.nio.ByteBuffer;

/** Whole server-to-client WebSocket frames, built once and written beneath Netty's frame encoder. */
public final class WebSocketFrames {

  private WebSocketFrames() {
  }

  /**
   * One final, unmasked text frame (header and payload), as the server sends it. {@code direct}: the
   * frame goes to many connections, so it lives in direct memory, since epoll copies a heap buffer
   * into a direct one on every write (per member); a JDK buffer, freed by the garbage collector, as
   * it has no single owner. For one recipient a heap buffer, copied once, costs less than a direct
   * allocation. Each connection writes a {@code retainedDuplicate()}.
   */
  public static ByteBuf text(Buffer utf8, boolean direct) {
    ByteBuf payload = ((BufferInternal) utf8).getByteBuf();
    int length = payload.readableBytes();
    int headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
    int size = headerLength + length;
    ByteBuffer bytes = direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
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
    return Unpooled.wrappedBuffer(bytes);
  }
}
