package dev.groupcast.gateway;

import dev.groupcast.auth.Authenticator;
import dev.groupcast.auth.Identity;
import dev.groupcast.ops.NodeMetrics;
import dev.groupcast.group.ErrorCode;
import dev.groupcast.group.Frames;
import dev.groupcast.group.LocalHub;
import dev.groupcast.group.ProtocolException;
import dev.groupcast.group.OutFrame;
import dev.groupcast.group.Outbound;
import dev.groupcast.group.Session;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * {@code /sockjs}: protocol v1 over every SockJS transport. Each SockJS message is one v1 frame; the
 * socket is adapted to a {@link Session} exactly like a WebSocket.
 */
final class SockJSTransport {

  private static final Logger log = LoggerFactory.getLogger(SockJSTransport.class);
  /** The iframe transports load the SockJS client from here: the node serves it, never a CDN. */
  static final String SOCKJS_LIBRARY = "/vendor/sockjs.min.js";
  static final int CLOSE_POLICY_VIOLATION = 1008;

  private SockJSTransport() {
  }

  /**
   * vertx-web closes the connection after each xhr-polling answer without saying so; a client that
   * reuses the connection for its next {@code xhr_send} then loses that POST. Announcing
   * {@code Connection: close} makes clients (browsers included) open a fresh one.
   */
  static void announceCloseAfterPoll(RoutingContext rc) {
    if (rc.request().path().endsWith("/xhr")) {
      rc.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    }
    rc.next();
  }

  static SockJSHandlerOptions options() {
    return new SockJSHandlerOptions().setLibraryURL(SOCKJS_LIBRARY).setRegisterWriteHandler(false);
  }

  static Router router(Vertx vertx, LocalHub hub, Session.Settings settings, int sendQueueBytes, Authenticator auth,
                       ConnectionsPerAddress perAddress) {
    return SockJSHandler.create(vertx, options()).socketHandler(sock -> {
      sock.setWriteQueueMaxSize(sendQueueBytes);
      String address = perAddress.clientOf(sock.remoteAddress(), sock.headers());
      if (!perAddress.tryOpen(address)) {
        sock.write(Frames.error(null, ErrorCode.RATE_LIMITED, "at most " + perAddress.limit()
            + " connections per client address (limits.connectionsPerIp)").text());
        sock.close(CLOSE_POLICY_VIOLATION, "too many connections");
        return;
      }
      sock.closeHandler(v -> perAddress.closed(address));
      String token = Authenticator.tokenOf(sock.headers(), queryParam(sock.uri(), "token"));
      if (token == null && !auth.required()) {
        attach(sock, hub, settings, auth, null);
        return;
      }
      sock.pause();
      auth.authenticate(token).onComplete(ar -> {
        sock.resume();
        if (ar.failed()) {
          // no handshake to refuse: say why, then close
          ProtocolException e = ar.cause() instanceof ProtocolException pe ? pe
              : new ProtocolException(ErrorCode.UNAUTHORIZED, "invalid token");
          sock.write(Frames.error(e).text());
          sock.close(CLOSE_POLICY_VIOLATION, "unauthorized");
        } else {
          attach(sock, hub, settings, auth, ar.result());
        }
      });
    });
  }

  private static void attach(SockJSSocket sock, LocalHub hub, Session.Settings settings, Authenticator auth,
                             Identity identity) {
    Session session = new Session(new SockJSOutbound(sock, hub.metrics()), hub, settings, auth, identity);
    sock.handler(buffer -> session.onText(buffer.toString()));
    sock.endHandler(v -> session.onClose());
    sock.exceptionHandler(e -> log.debug("sockjs session {}: {}", session.id(), e.toString()));
    session.open();
  }

  static String queryParam(String uri, String name) {
    if (uri == null) {
      return null;
    }
    List<String> values = new QueryStringDecoder(uri).parameters().get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  private record SockJSOutbound(SockJSSocket sock, NodeMetrics metrics) implements Outbound {

    @Override
    public String transport() {
      return NodeMetrics.TRANSPORT_SOCKJS;
    }

    @Override
    public void send(OutFrame frame) {
      if (sock.writeQueueFull()) {
        metrics.slowConsumer();
        sock.close(WebSocketTransport.CLOSE_TRY_AGAIN_LATER, "slow consumer");
        return;
      }
      sock.write(frame.text());
    }

    @Override
    public void close(int code, String reason) {
      sock.close(code, reason);
    }
  }
}
