package dev.groupcast.net;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Against slowloris: a connection that has not delivered a complete first request head (a plain
 * request or a WebSocket handshake) within {@code http.headerTimeout} is closed, like nginx's
 * {@code client_header_timeout}. Later requests on a keep-alive connection fall under the idle timeout.
 *
 * <p>One instance per server instance: its connection and request handlers run on that server's
 * event loop, so the map needs no locking.
 */
public final class HeaderTimeout {

  private static final Logger log = LoggerFactory.getLogger(HeaderTimeout.class);

  private final Vertx vertx;
  private final long timeoutMs;
  private final Map<HttpConnection, Long> waitingForHead = new IdentityHashMap<>();

  public HeaderTimeout(Vertx vertx, Duration timeout) {
    this.vertx = vertx;
    this.timeoutMs = timeout.toMillis();
  }

  /**
   * Vert.x 5 hands an HTTP/1 connection to the connection handler only once its first request head
   * is complete while h2c (HTTP/2 upgrade on plain text) is on, which would start the clock too late:
   * h2c goes off. Nothing here speaks HTTP/2 without TLS.
   */
  public static HttpServerOptions prepare(HttpServerOptions options) {
    return options.setHttp2ClearTextEnabled(false);
  }

  /** Installs the timer on {@code server}; {@code requests} is the server's request handler. */
  public HttpServer install(HttpServer server, Handler<HttpServerRequest> requests) {
    return install(server, connection -> { }, requests);
  }

  /**
   * As above, with {@code opened} told of each new connection too (the server has one connection
   * handler, and this takes it), before the connection has read anything.
   */
  public HttpServer install(HttpServer server, Handler<HttpConnection> opened, Handler<HttpServerRequest> requests) {
    return server.connectionHandler(connection -> {
      opened.handle(connection);
      opened(connection);
    }).requestHandler(request -> {
      Long timer = waitingForHead.remove(request.connection());
      if (timer != null) {
        vertx.cancelTimer(timer);
      }
      requests.handle(request);
    });
  }

  private void opened(HttpConnection connection) {
    long timer = vertx.setTimer(timeoutMs, id -> {
      if (waitingForHead.remove(connection) != null) {
        log.debug("closing {}: no complete request head within {} ms", connection.remoteAddress(), timeoutMs);
        connection.close();
      }
    });
    waitingForHead.put(connection, timer);
    connection.closeHandler(v -> {
      Long pending = waitingForHead.remove(connection);
      if (pending != null) {
        vertx.cancelTimer(pending);
      }
    });
  }
}
