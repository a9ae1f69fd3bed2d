package dev.groupcast.gateway;

import dev.groupcast.error.CloseCodes;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.error.ProtocolException;
import dev.groupcast.group.Frames;
import dev.groupcast.group.LocalHub;
import dev.groupcast.group.OutFrame;
import dev.groupcast.group.Outbound;
import dev.groupcast.group.Session;
import dev.groupcast.ops.NodeMetrics;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * {@code /sockjs}: protocol v1 over every SockJS transport. Each SockJS message is one v1 frame; the
 * socket is admitted and adapted to a {@link Session} exactly like a WebSocket. A refusal has no
 * handshake to answer: it is an error frame, then a close with 1008.
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

  static Router router(Vertx vertx, LocalHub hub, Session.Settings settings, int sendQueueBytes, Admission admission) {
    return SockJSHandler.create(vertx, options()).socketHandler(sock -> {
      sock.setWriteQueueMaxSize(sendQueueBytes);
      sock.pause(); // while the token is checked
      Future<Admission.Admitted> admitted = admission.admit(sock.remoteAddress(), sock.headers(),
          queryParam(sock.uri(), "token"));
      // set at once: a session that goes away while its token is checked still gives its place back
      sock.closeHandler(v -> admitted.onSuccess(Admission.Admitted::release));
      admitted.onComplete(ar -> {
        sock.resume();
        if (ar.failed()) {
          ProtocolException e = (ProtocolException) ar.cause();
          sock.write(Frames.error(e).text());
          sock.close(CloseCodes.POLICY_VIOLATION,
              e.code() == ErrorCode.RATE_LIMITED ? "too many connections" : "unauthorized");
          return;
        }
        attach(vertx, sock, hub, settings, admission, ar.result());
      });
    });
  }

  private static void attach(Vertx vertx, SockJSSocket sock, LocalHub hub, Session.Settings settings,
                             Admission admission, Admission.Admitted admitted) {
    Session session = new Session(new SockJSOutbound(sock, hub.metrics(), new InputPause(vertx, sock)), hub, settings,
        admission.auth(),
        admitted.identity());
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

  private record SockJSOutbound(SockJSSocket sock, NodeMetrics metrics, InputPause inputPause) implements Outbound {

    @Override
    public String transport() {
      return NodeMetrics.TRANSPORT_SOCKJS;
    }

    @Override
    public void pauseInput(long nanos) {
      inputPause.pause(nanos);
    }

    @Override
    public void send(OutFrame frame) {
      if (sock.writeQueueFull()) {
        metrics.slowConsumer();
        sock.close(CloseCodes.TRY_AGAIN_LATER, "slow consumer");
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
