package dev.groupcast.proxy;

import dev.groupcast.net.GracefulClose;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * How one side of a spliced tunnel is closed, once the other side closed or the tunnel went quiet:
 * what is queued for it still goes out (the close frame the other side sent last, above all), then
 * its output is shut down, and its input read and dropped until its peer closes too; then the socket
 * is closed. Closing a socket whose input holds unread bytes makes the kernel send a reset, and a peer
 * that gets one loses what it had not read yet: a client still sending when the backend closed got
 * 1006, the backend's close frame gone, six runs in ten. A peer that takes nothing for
 * {@link #FLUSH_MS}, or keeps its side open {@link #LINGER_MS} after the output was shut, is closed
 * anyway: a stuck peer cannot hold a tunnel. Runs on the channel's event loop.
 */
final class LingeringClose {

  /** How long what is queued for a side may take to go out, at most. */
  static final long FLUSH_MS = 3000;
  /** How long input is drained after the output was shut down, at most (nginx's lingering_close). */
  static final long LINGER_MS = GracefulClose.LINGER_MS;
  private static final AttributeKey<Boolean> CLOSING = AttributeKey.valueOf("groupcast.tunnel.closing");

  private LingeringClose() {
  }

  /** Whether the channel is closed or closing: nothing more goes to it. */
  static boolean closing(Channel channel) {
    return !channel.isActive() || channel.hasAttr(CLOSING);
  }

  /** Closes {@code channel} as above; once, later calls do nothing. */
  static void close(Channel channel) {
    if (channel.attr(CLOSING).setIfAbsent(Boolean.TRUE) != null) {
      return;
    }
    // written and closed beneath Vert.x, whose close would wait on the flush however long it takes
    ChannelHandlerContext relay = channel.pipeline().context(Relay.NAME);
    if (!channel.isActive() || relay == null || !(channel instanceof DuplexChannel duplex)) {
      channel.close();
      return;
    }
    channel.config().setAutoRead(true); // the relay drops what it reads from now on
    ScheduledFuture<?>[] deadline = {closeAfter(relay, FLUSH_MS)};
    channel.closeFuture().addListener(closed -> deadline[0].cancel(false));
    relay.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(flushed -> {
      if (!flushed.isSuccess() || !channel.isActive()) {
        relay.close();
        return;
      }
      deadline[0].cancel(false);
      deadline[0] = closeAfter(relay, LINGER_MS);
      // the peer reads what was sent, then the end of the stream, and closes its side: that ends it
      GracefulClose.shutOutput(channel, duplex);
    });
  }

  private static ScheduledFuture<?> closeAfter(ChannelHandlerContext relay, long ms) {
    return relay.executor().schedule(() -> {
      relay.close();
    }, ms, TimeUnit.MILLISECONDS);
  }
}
