package dev.groupcast.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.nio.ByteBuffer;
import java.util.function.IntFunction;

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
    ByteBuffer bytes = direct ? ByteBuffer.allocateDirect(size(payload)) : ByteBuffer.allocate(size(payload));
    put(bytes, payload);
    bytes.flip();
    return Unpooled.wrappedBuffer(bytes);
  }

  /**
   * Frames for {@code count} payloads back to back, in direct memory: messages that go to many
   * connections together, written to each in one piece (a {@code retainedDuplicate()} per connection).
   */
  public static ByteBuf texts(int count, IntFunction<Buffer> utf8) {
    int size = 0;
    for (int i = 0; i < count; i++) {
      size += size(((BufferInternal) utf8.apply(i)).getByteBuf());
    }
    ByteBuffer bytes = ByteBuffer.allocateDirect(size);
    for (int i = 0; i < count; i++) {
      put(bytes, ((BufferInternal) utf8.apply(i)).getByteBuf());
    }
    bytes.flip();
    return Unpooled.wrappedBuffer(bytes);
  }

  private static int size(ByteBuf payload) {
    int length = payload.readableBytes();
    return (length < 126 ? 2 : length < 65536 ? 4 : 10) + length;
  }

  private static void put(ByteBuffer bytes, ByteBuf payload) {
    int length = payload.readableBytes();
    bytes.put((byte) 0x81); // FIN + text
    if (length < 126) {
      bytes.put((byte) length);
    } else if (length < 65536) {
      bytes.put((byte) 126).putShort((short) length);
    } else {
      bytes.put((byte) 127).putLong(length);
    }
    // getBytes fills all the room left in its target: a window just the payload's size
    ByteBuffer window = bytes.duplicate();
    window.limit(window.position() + length);
    payload.getBytes(payload.readerIndex(), window);
    bytes.position(window.limit());
  }
}
