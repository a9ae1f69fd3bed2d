package dev.groupcast.gateway;

import dev.groupcast.group.LocalHub;
import dev.groupcast.group.OutFrame;
import dev.groupcast.group.Outbound;
import dev.groupcast.group.Session;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /sockjs}: protocol v1 over every SockJS transport. Each SockJS message is one v1 frame; the
 * socket is adapted to a {@link Session} exactly like a WebSocket.
 */
final class SockJSTransport {

  private static final Logger log = LoggerFactory.getLogger(SockJSTransport.class);
  /** The iframe transports load the SockJS client from here: the node serves it, never a CDN. */
  static final String SOCKJS_LIBRARY = "/vendor/sockjs.min.js";

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

  static Router router(Vertx vertx, LocalHub hub, Session.Settings settings, int sendQueueBytes) {
    return SockJSHandler.create(vertx, options()).socketHandler(sock -> {
      sock.setWriteQueueMaxSize(sendQueueBytes);
      Session session = new Session(new SockJSOutbound(sock), hub, settings);
      sock.handler(buffer -> session.onText(buffer.toString()));
      sock.endHandler(v -> session.onClose());
      sock.exceptionHandler(e -> log.debug("sockjs session {}: {}", session.id(), e.toString()));
      session.open();
    });
  }

  private record SockJSOutbound(SockJSSocket sock) implements Outbound {

    @Override
    public void send(OutFrame frame) {
      if (sock.writeQueueFull()) {
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
