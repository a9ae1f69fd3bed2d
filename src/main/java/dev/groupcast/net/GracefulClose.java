package dev.groupcast.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A close the server decides on (1008, 1009, 1011, 1012, 1013) that reaches the client as a close
 * frame. Closing a socket whose input still holds unread bytes makes the kernel send a reset, and the
 * client, whose own input then fails, reports 1006 without ever reading the close frame (a client
 * sending a 4 MiB frame did, one run in three). So: the close frame is written beneath Netty's
 * encoder, the output shut down (the client reads the frame, then the end of the stream), and input
 * read and thrown away until the client closes its side or {@link #LINGER_MS} passes, as nginx's
 * {@code lingering_close} does; then the socket is closed.
 */
public final class GracefulClose {

  /** How long input is drained after the close frame, at most. */
  public static final long LINGER_MS = 2000;
  private static final AttributeKey<Boolean> CLOSING = AttributeKey.valueOf("groupcast.closing");
  private static final String DISCARD = "groupcast-discard-input";
  private static final String VIOLATIONS = "groupcast-protocol-violations";

  private GracefulClose() {
  }

  /** Whether a close of this channel is under way: nothing more is written to it. */
  public static boolean closing(Channel channel) {
    return channel.hasAttr(CLOSING);
  }

  /**
   * Closes the WebSocket connection under {@code raw} (a handler context beneath the frame encoder)
   * with {@code code} and {@code reason}; once only, from any thread. Returns false when a close was
   * already under way.
   */
  public static boolean close(ChannelHandlerContext raw, int code, String reason) {
    Channel channel = raw.channel();
    if (channel.attr(CLOSING).setIfAbsent(Boolean.TRUE) != null) {
      return false;
    }
    if (!raw.executor().inEventLoop()) {
      raw.executor().execute(() -> closeNow(raw, code, reason));
    } else {
      closeNow(raw, code, reason);
    }
    return true;
  }

  private static void closeNow(ChannelHandlerContext raw, int code, String reason) {
    Channel channel = raw.channel();
    if (!channel.isActive()) {
      channel.close();
      return;
    }
    // whatever the client sends from now on is dropped before any decoder sees it
    channel.pipeline().addFirst(DISCARD, new DiscardInput());
    channel.config().setAutoRead(true);
    raw.writeAndFlush(closeFrame(code, reason)).addListener(written -> {
      if (written.isSuccess() && channel instanceof DuplexChannel duplex && channel.isActive()) {
        shutOutput(channel, duplex);
        channel.eventLoop().schedule(() -> {
          channel.close(); // a block: close() returns a future, which makes the lambda a Callable too
        }, LINGER_MS, TimeUnit.MILLISECONDS);
      } else {
        channel.close();
      }
    });
  }

  /**
   * Shuts the channel's output down (the peer reads what was sent, then the end of the stream); over
   * TLS, close_notify first, so that the peer can tell the end from a truncation.
   */
  public static void shutOutput(Channel channel, DuplexChannel duplex) {
    SslHandler tls = channel.pipeline().get(SslHandler.class);
    if (tls == null) {
      duplex.shutdownOutput();
    } else {
      tls.closeOutbound().addListener(notified -> duplex.shutdownOutput());
    }
  }

  /**
   * Makes a frame the decoder refuses (over {@code maxWebSocketFrameSize}, bad opcode, unmasked) end
   * in a graceful close with the decoder's status (1009 for a frame too big, 1002 otherwise). Vert.x
   * would close the channel on the spot, over the rest of the frame still unread: the reset above.
   * Installed just before Vert.x's own handler, the pipeline's last.
   */
  public static void onProtocolViolation(ChannelHandlerContext raw) {
    ChannelPipeline pipeline = raw.channel().pipeline();
    String last = pipeline.lastContext().name();
    pipeline.addBefore(last, VIOLATIONS, new ChannelInboundHandlerAdapter() {
      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException corrupt) {
          WebSocketCloseStatus status = corrupt.closeStatus();
          close(raw, status.code(), status.code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code()
              ? "message too big" : "protocol error");
          return;
        }
        ctx.fireExceptionCaught(cause);
      }
    });
  }

  /** A server's close frame: unmasked, final, the status code and a reason of at most 123 bytes. */
  static ByteBuf closeFrame(int code, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    int length = 2 + Math.min(text.length, 123);
    ByteBuf frame = Unpooled.buffer(2 + length);
    frame.writeByte(0x88); // FIN + close
    frame.writeByte(length);
    frame.writeShort(code);
    frame.writeBytes(text, 0, length - 2);
    return frame;
  }

  /** Reads and drops input; the peer closing its side (end of stream) closes the channel as usual. */
  @ChannelHandler.Sharable
  private static final class DiscardInput extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a reset from the peer while lingering: nothing left to tell it
    }
  }
}
