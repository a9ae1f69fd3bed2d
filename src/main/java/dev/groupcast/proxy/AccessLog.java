package dev.groupcast.proxy;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * The proxy's access log ({@code proxy.accessLog}), on the logger {@value #LOGGER}: one line per
 * request or tunnel with client, method, URI, backend, status, bytes and duration, like nginx's
 * combined log. In {@code log.format=json} every item is a field of its own.
 */
final class AccessLog {

  static final String LOGGER = "groupcast.access";
  private static final Logger log = LoggerFactory.getLogger(LOGGER);

  /** Called once when a tunnel closes, with the bytes it relayed both ways (-1 when not counted). */
  interface TunnelEnd {
    void closed(long bytes);
  }

  private AccessLog() {
  }

  static void request(HttpServerRequest request, Backend backend, long startNanos) {
    log.info("{} {} {} {} {} {} {}", kv("client", client(request)), kv("method", request.method().name()),
        kv("uri", request.uri()), kv("backend", backend == null ? "-" : backend.key()),
        kv("status", request.response().getStatusCode()), kv("bytes", request.response().bytesWritten()),
        kv("ms", (System.nanoTime() - startNanos) / 1_000_000));
  }

  /** What to log when the tunnel that just opened closes; read now, while the request is still an HTTP one. */
  static TunnelEnd tunnelOpened(HttpServerRequest request, Backend backend) {
    String client = client(request);
    String uri = request.uri();
    long start = System.nanoTime();
    return bytes -> log.info("{} {} {} {} {} {} {}", kv("client", client), kv("method", "GET"), kv("uri", uri),
        kv("backend", backend.key()), kv("status", 101), kv("bytes", bytes),
        kv("ms", (System.nanoTime() - start) / 1_000_000));
  }

  private static String client(HttpServerRequest request) {
    SocketAddress remote = request.remoteAddress();
    return remote == null ? "-" : remote.hostAddress();
  }
}
