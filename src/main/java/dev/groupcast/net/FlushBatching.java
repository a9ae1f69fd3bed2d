package dev.groupcast.net;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;

/**
 * Vert.x flushes every WebSocket frame it writes, one system call each. A message fanned out to a
 * member, or bytes pumped through a tunnel, come from another connection's events, so nothing
 * batches them. Netty's {@link FlushConsolidationHandler} defers a flush to the end of the current
 * event-loop task: a burst of messages to one connection leaves in one write.
 */
public final class FlushBatching {

  static final String NAME = "groupcast-flush-batching";
  /** Past this many deferred flushes a flush goes out at once, bounding what waits in the buffer. */
  static final int MAX_DEFERRED_FLUSHES = 64;

  private FlushBatching() {
  }

  /**
   * For a server connection that became a WebSocket. Returns the handler's context: bytes written
   * there go straight to the socket, under the WebSocket encoder (pre-encoded frames), or null.
   */
  public static ChannelHandlerContext install(HttpConnection connection) {
    return connection instanceof HttpServerConnection server ? install(server.channelHandlerContext()) : null;
  }

  public static void install(NetSocket socket) {
    if (socket instanceof NetSocketInternal internal) {
      install(internal.channelHandlerContext());
    }
  }

  private static ChannelHandlerContext install(ChannelHandlerContext context) {
    ChannelPipeline pipeline = context.pipeline();
    if (pipeline.get(NAME) == null) {
      // every flush the connection's handlers issue passes through it; right after TLS, so what is
      // written at its context is still encrypted
      ChannelHandlerContext tls = pipeline.context(SslHandler.class);
      FlushConsolidationHandler batching = new FlushConsolidationHandler(MAX_DEFERRED_FLUSHES, true);
      if (tls != null) {
        pipeline.addAfter(tls.name(), NAME, batching);
      } else {
        pipeline.addFirst(NAME, batching);
      }
    }
    return pipeline.context(NAME);
  }
}
