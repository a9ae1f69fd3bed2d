package dev.groupcast.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * One direction of an upgraded tunnel at the Netty level, as in Netty's HexDumpProxy: what one
 * connection reads is written to the other as the same buffer (no copy into Vert.x buffers), one
 * flush per read burst, and the reading side stops reading while the other cannot take more. When
 * the reading side closes, the other side gets what is queued for it and is closed then
 * ({@link LingeringClose}); close and errors still reach Vert.x's handler behind it. The read timeout
 * is {@link TunnelActivity}'s.
 */
final class Relay extends ChannelInboundHandlerAdapter {

  static final String NAME = "groupcast-relay";

  private final Channel to;
  private final TunnelActivity activity;
  /** The other side's relay: what is written there skips Vert.x's handlers on the way out. */
  private ChannelHandlerContext out;

  Relay(Channel to, TunnelActivity activity) {
    this.to = to;
    this.activity = activity;
  }

  private ChannelHandlerContext out() {
    if (out == null || out.isRemoved()) {
      out = to.pipeline().context(NAME);
    }
    return out;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (LingeringClose.closing(to)) {
      // the other side is gone or going: this input has nowhere to go, and is read only so that
      // this side closes without a reset
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpContent content) {
      // the backend side's HTTP decoder, upgraded, still wraps bytes (and ends the 101 with an empty
      // last content): pass the bytes, drop the markers
      ByteBuf bytes = content.content();
      if (!bytes.isReadable()) {
        content.release();
        return;
      }
      msg = bytes;
    }
    if (msg instanceof ByteBuf bytes) {
      activity.read(bytes.readableBytes());
    }
    ChannelHandlerContext out = out();
    if (out == null) {
      to.write(msg, to.voidPromise());
    } else {
      out.write(msg, out.voidPromise());
    }
    if (!to.isWritable()) {
      flush();
      if (!to.isWritable()) {
        ctx.channel().config().setAutoRead(false); // resumed by the other side's relay
      }
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    flush();
    ctx.fireChannelReadComplete();
  }

  private void flush() {
    ChannelHandlerContext out = out();
    if (out == null) {
      to.flush();
    } else {
      out.flush();
    }
  }

  /**
   * This side is gone, after everything it sent: Netty reads a channel's end of stream after the
   * bytes before it (while the other side can take no more, not before the other side's relay turns
   * reading back on), and only then reports the channel inactive. So all it sent is on its way to the
   * other side, which gets it, then its own close, before Vert.x hears of this one.
   */
  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    LingeringClose.close(to);
    ctx.fireChannelInactive();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      to.config().setAutoRead(true); // the side feeding this one may read again
    }
    ctx.fireChannelWritabilityChanged();
  }
}
