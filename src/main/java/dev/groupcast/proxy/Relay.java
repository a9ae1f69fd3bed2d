package dev.groupcast.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * One direction of an upgraded tunnel at the Netty level, as in Netty's HexDumpProxy: what one
 * connection reads is written to the other as the same buffer (no copy into Vert.x buffers), one
 * flush per read burst, and the reading side stops reading while the other cannot take more.
 * Everything else (close, errors, idle timeouts) still reaches Vert.x's handler behind it.
 */
final class Relay extends ChannelInboundHandlerAdapter {

  static final String NAME = "groupcast-relay";

  private final Channel to;

  Relay(Channel to) {
    this.to = to;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    to.write(msg, to.voidPromise());
    if (!to.isWritable()) {
      to.flush();
      if (!to.isWritable()) {
        ctx.channel().config().setAutoRead(false); // resumed by the other side's relay
      }
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    to.flush();
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      to.config().setAutoRead(true); // the side feeding this one may read again
    }
    ctx.fireChannelWritabilityChanged();
  }
}
