package dev.groupcast.proxy;

import dev.groupcast.net.FlushBatching;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.ConnectionBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * WebSocket upgrades as raw byte tunnels: the proxy makes its own upgrade request, and after the
 * backend's 101 copies bytes both ways without decoding frames, reading one side only while the other
 * can take more. A tunnel with no traffic either way for {@code proxy.readTimeout} is closed, and one
 * side closing closes the other once that other side got what was still on its way to it.
 */
final class Tunnels {

  private static final Logger log = LoggerFactory.getLogger(Tunnels.class);

  private final HttpForwarding http;
  private final Duration readTimeout;
  private final boolean accessLog;

  Tunnels(HttpForwarding http, Duration readTimeout, boolean accessLog) {
    this.http = http;
    this.readTimeout = readTimeout;
    this.accessLog = accessLog;
  }

  void open(Exchange ex, HttpClientRequest toBackend) {
    // once spliced, the tunnel's bytes bypass the HTTP stream, which then sees the connection close
    // before "its" response ended: expected, and the tunnel's own close handling covers it
    toBackend.exceptionHandler(e -> log.debug("tunnel request to {}: {}", ex.backend(), e.toString()));
    toBackend.connect().onComplete(ar -> http.answered(ex, ar, answer -> switchProtocols(ex, answer)));
  }

  private void switchProtocols(Exchange ex, HttpClientResponse answer) {
    AccessLog.TunnelEnd onClose = accessLog ? AccessLog.tunnelOpened(ex.request, ex.backend()) : null;
    NetSocket toServer = answer.netSocket();
    toServer.pause();
    ex.request.response().headers().setAll(answer.headers()); // the backend's 101, unchanged
    ex.request.toNetSocket().onComplete(sar -> {
      if (sar.failed()) {
        ex.lease().release();
        toServer.close();
        return;
      }
      join(sar.result(), toServer, backendChannel(answer), ex.lease(), onClose);
    });
  }

  /**
   * The backend connection's own channel: the client's tunnel socket is an adapter over the HTTP
   * stream, so splicing has to go around it to the connection beneath.
   */
  private static ChannelHandlerContext backendChannel(HttpClientResponse answer) {
    HttpConnection connection = answer.request().connection();
    return connection instanceof ConnectionBase base ? base.channelHandlerContext() : null;
  }

  /** Copies bytes both ways with backpressure until either side closes or both stay quiet too long. */
  private void join(NetSocket toClient, NetSocket toServer, ChannelHandlerContext server, Backend.Lease lease,
                    AccessLog.TunnelEnd logged) {
    ChannelHandlerContext client = spliceable(toClient, server);
    AtomicBoolean closed = new AtomicBoolean();
    TunnelActivity[] idle = new TunnelActivity[1];
    lease.tunnelOpened();
    Runnable closeBoth = () -> {
      if (closed.compareAndSet(false, true)) {
        lease.release();
        if (idle[0] != null) {
          idle[0].cancel();
        }
        if (logged != null) {
          logged.closed(idle[0] == null ? -1 : idle[0].bytes());
        }
        if (client != null) {
          // each side still gets what is queued for it (the relays started that already for the
          // side that did not close), beneath Vert.x, whose close would wait for a stuck peer forever
          LingeringClose.close(client.channel());
          LingeringClose.close(server.channel());
        } else {
          toClient.close();
          toServer.close();
        }
      }
    };
    toClient.closeHandler(v -> closeBoth.run());
    toServer.closeHandler(v -> closeBoth.run());
    if (client != null) {
      idle[0] = splice(client, server, closeBoth);
      // bytes Vert.x took in before the relays went in still go out, ahead of what they read
      toClient.handler(toServer::write);
      toServer.handler(toClient::write);
      toClient.resume();
      toServer.resume();
      return;
    }
    FlushBatching.install(toClient);
    FlushBatching.install(toServer);
    toClient.pipeTo(toServer).onComplete(v -> closeBoth.run());
    toServer.pipeTo(toClient).onComplete(v -> closeBoth.run());
  }

  /**
   * The client connection's channel when both connections share an event loop (the backend
   * connection is opened from the client's) and this runs on it: then they can be spliced. Else null.
   */
  private static ChannelHandlerContext spliceable(NetSocket toClient, ChannelHandlerContext s) {
    if (!(toClient instanceof NetSocketInternal client) || s == null) {
      return null;
    }
    ChannelHandlerContext c = client.channelHandlerContext();
    return c.executor() == s.executor() && c.executor().inEventLoop() ? c : null;
  }

  /**
   * Puts a {@link Relay} in front of Vert.x on both connections: no Vert.x buffer copies, one flush
   * per read. Vert.x's idle handlers go, since they turn every write's void promise into a promise
   * with a listener: the relays keep the read timeout themselves. Returns that timer.
   */
  private TunnelActivity splice(ChannelHandlerContext c, ChannelHandlerContext s, Runnable close) {
    TunnelActivity idle = new TunnelActivity(c.executor(), readTimeout, close);
    c.pipeline().addBefore(c.name(), Relay.NAME, new Relay(s.channel(), idle));
    s.pipeline().addBefore(s.name(), Relay.NAME, new Relay(c.channel(), idle));
    for (ChannelHandlerContext side : new ChannelHandlerContext[] {c, s}) {
      side.pipeline().toMap().forEach((name, handler) -> {
        if (handler instanceof IdleStateHandler) {
          side.pipeline().remove(handler);
        }
      });
    }
    idle.start();
    return idle;
  }
}
