package dev.groupcast.proxy;

import dev.groupcast.cluster.TlsOptions;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.gateway.FlushBatching;
import dev.groupcast.gateway.HeaderTimeout;
import dev.groupcast.gateway.NodeState;
import dev.groupcast.ops.NodeMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.ConnectionBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The proxy role, one instance per event loop: forwards WebSocket upgrades as raw byte tunnels and
 * every other request as a streamed HTTP exchange, to a backend chosen by the {@link BackendPool}.
 *
 * <p>A backend that refuses or times out on connect is retried on the next one while nothing has
 * been sent to the client; none left gives 502. A backend that accepts but does not answer within
 * {@code proxy.readTimeout} gives 504. After a 101 the proxy copies bytes both ways, reading one side
 * only while the other can take them ({@code pipeTo}); a tunnel with no traffic either way for
 * {@code proxy.readTimeout} is closed, and one side closing closes the other.
 */
public final class ProxyVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ProxyVerticle.class);
  static final String DRAINING_HEADER = NodeState.DRAINING_HEADER;

  private final GroupcastConfig.Proxy config;
  private final GroupcastConfig.Tls tls;
  private final BackendPool pool;
  private final Duration headerTimeout;
  /** Idle keep-alive client connections are closed after this (nginx's keepalive_timeout is 75 s). */
  static final long CLIENT_IDLE_MS = 75_000;
  static final int REQUEST_POOL_PER_BACKEND = 256;
  static final int MAX_TUNNELS_PER_BACKEND = 1_000_000;
  static final long POOLED_IDLE_MS = 60_000;

  private HttpClient client;
  private HttpClient tunnelClient;
  private NodeMetrics metrics;

  public ProxyVerticle(GroupcastConfig.Proxy config, GroupcastConfig.Tls tls, Duration headerTimeout,
                       BackendPool pool) {
    this.config = config;
    this.headerTimeout = headerTimeout;
    this.tls = tls;
    this.pool = pool;
  }

  @Override
  public Future<?> start() {
    metrics = NodeMetrics.of(vertx);
    long readTimeoutMs = config.readTimeout().toMillis();
    HttpClientOptions toBackends = new HttpClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setDecompressionSupported(false)
        .setKeepAlive(true);
    if (tls.enabled() && config.fromCluster()) {
      TlsOptions.client(toBackends, tls); // the gateways' HTTP port speaks TLS too
    }
    // requests: the read timeout is per request (504 when the answer does not come); pooled
    // connections idle longer between requests
    client = vertx.createHttpClient(new HttpClientOptions(toBackends)
            .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(readTimeoutMs, POOLED_IDLE_MS))),
        new PoolOptions().setHttp1MaxSize(REQUEST_POOL_PER_BACKEND));
    // tunnels: an upgraded connection keeps its pool slot for the tunnel's life, so they get their own
    // pool; the read timeout is the connection's, and since every byte of a tunnel passes the backend
    // connection, a tunnel quiet both ways is closed
    tunnelClient = vertx.createHttpClient(new HttpClientOptions(toBackends)
            .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, readTimeoutMs)),
        new PoolOptions().setHttp1MaxSize(MAX_TUNNELS_PER_BACKEND));
    HttpServerOptions options = HeaderTimeout.prepare(new HttpServerOptions())
        .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(CLIENT_IDLE_MS, readTimeoutMs + CLIENT_IDLE_MS)))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false);
    if (tls.proxy()) {
      TlsOptions.server(options, tls);
    }
    // garbage, long lines, large headers: Vert.x answers 400/414/431 and closes
    return new HeaderTimeout(vertx, headerTimeout).install(vertx.createHttpServer(options), this::handle)
        .listen(config.port());
  }

  private void handle(HttpServerRequest request) {
    request.pause();
    boolean upgrade = HeaderRules.isWebSocketUpgrade(request.headers());
    Set<Backend> tried = new LinkedHashSet<>(); // the last one is the backend that answered
    if (config.accessLog() && !upgrade) {
      long start = System.nanoTime();
      request.response().endHandler(v -> AccessLog.request(request, last(tried), start));
    }
    attempt(request, upgrade, tried);
  }

  private static Backend last(Set<Backend> tried) {
    Backend last = null;
    for (Backend b : tried) {
      last = b;
    }
    return last;
  }

  private void attempt(HttpServerRequest request, boolean upgrade, Set<Backend> tried) {
    Backend backend = pool.pick(request, tried);
    if (backend == null) {
      fail(request, 502, "bad_gateway",
          tried.isEmpty() ? "no backend available" : "no backend accepted the connection");
      return;
    }
    tried.add(backend);
    RequestOptions options = new RequestOptions()
        .setMethod(request.method())
        .setHost(backend.address().host())
        .setPort(backend.address().port())
        .setURI(request.uri())
        .setIdleTimeout(config.readTimeout().toMillis())
        .setHeaders(HeaderRules.toBackend(request, upgrade));
    backend.active.incrementAndGet();
    (upgrade ? tunnelClient : client).request(options).onComplete(ar -> {
      if (ar.failed()) {
        backend.active.decrementAndGet();
        pool.failed(backend);
        log.debug("backend {} refused {}: {}", backend, request.uri(), ar.cause().toString());
        if (!request.response().closed()) {
          attempt(request, upgrade, tried);
        }
        return;
      }
      HttpClientRequest toBackend = ar.result();
      if (request.authority() != null) {
        toBackend.authority(request.authority()); // Host as the client sent it
      }
      if (upgrade) {
        tunnel(request, toBackend, backend, tried);
      } else {
        forward(request, toBackend, backend, tried);
      }
    });
  }

  private void forward(HttpServerRequest request, HttpClientRequest toBackend, Backend backend, Set<Backend> tried) {
    if (!request.headers().contains(HttpHeaders.CONTENT_LENGTH) && hasChunkedBody(request)) {
      toBackend.setChunked(true);
    }
    toBackend.send(request).onComplete(ar -> answered(request, ar, backend, false, tried));
  }

  /**
   * A draining node refuses new clients with a marked 503. For a request without a body nothing has
   * been served, so another node can take it; the node gets no new clients until its next check.
   */
  private static boolean draining(HttpServerRequest request, HttpClientResponse answer) {
    return answer.statusCode() == 503 && answer.getHeader(DRAINING_HEADER) != null
        && (request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD);
  }

  private void retryElsewhere(HttpServerRequest request, HttpClientResponse answer, Backend backend, boolean upgrade,
                              Set<Backend> tried) {
    backend.healthy = false;
    answer.body().onComplete(v -> {
      backend.active.decrementAndGet();
      attempt(request, upgrade, tried);
    });
  }

  /** Sends the backend's answer (any status but 101) to the client, body streamed. */
  private void relay(HttpServerRequest request, HttpClientResponse answer, Backend backend) {
    HttpServerResponse response = request.response();
    response.setStatusCode(answer.statusCode()).setStatusMessage(answer.statusMessage());
    HeaderRules.fromBackend(answer.headers(), response.headers());
    if (!response.headers().contains(HttpHeaders.CONTENT_LENGTH) && mayHaveBody(request, answer.statusCode())) {
      response.setChunked(true);
    }
    answer.pipeTo(response).onComplete(done -> {
      backend.active.decrementAndGet();
      if (done.failed() && !response.ended()) {
        response.reset();
      }
    });
  }

  private void tunnel(HttpServerRequest request, HttpClientRequest toBackend, Backend backend, Set<Backend> tried) {
    // once spliced, the tunnel's bytes bypass the HTTP stream, which then sees the connection close
    // before "its" response ended: expected, and the tunnel's own close handling covers it
    toBackend.exceptionHandler(e -> log.debug("tunnel request to {}: {}", backend, e.toString()));
    toBackend.connect().onComplete(ar -> answered(request, ar, backend, true, tried));
  }

  /**
   * The backend's answer: a failure becomes 502 or 504, a draining node's refusal is retried on
   * another node, a 101 to an upgrade becomes a tunnel, anything else is relayed as it is.
   */
  private void answered(HttpServerRequest request, AsyncResult<HttpClientResponse> ar, Backend backend,
                        boolean upgrade, Set<Backend> tried) {
    if (ar.failed()) {
      backend.active.decrementAndGet();
      failFromBackend(request, ar.cause());
      return;
    }
    HttpClientResponse answer = ar.result();
    metrics.proxied(backend.key(), answer.statusCode());
    if (draining(request, answer)) {
      retryElsewhere(request, answer, backend, upgrade, tried);
    } else if (upgrade && answer.statusCode() == 101) {
      switchProtocols(request, answer, backend);
    } else {
      relay(request, answer, backend);
    }
  }

  private void switchProtocols(HttpServerRequest request, HttpClientResponse answer, Backend backend) {
    AccessLog.TunnelEnd onClose = config.accessLog() ? AccessLog.tunnelOpened(request, backend) : null;
    NetSocket toServer = answer.netSocket();
    toServer.pause();
    request.response().headers().setAll(answer.headers()); // the backend's 101, unchanged
    request.toNetSocket().onComplete(sar -> {
      if (sar.failed()) {
        backend.active.decrementAndGet();
        toServer.close();
        return;
      }
      join(sar.result(), toServer, backendChannel(answer), backend, config.readTimeout(), onClose);
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
  private static void join(NetSocket toClient, NetSocket toServer, ChannelHandlerContext server, Backend backend,
                           Duration readTimeout, AccessLog.TunnelEnd logged) {
    AtomicBoolean closed = new AtomicBoolean();
    TunnelActivity[] idle = new TunnelActivity[1];
    backend.tunnels.incrementAndGet();
    Runnable closeBoth = () -> {
      if (closed.compareAndSet(false, true)) {
        backend.active.decrementAndGet();
        backend.tunnels.decrementAndGet();
        if (idle[0] != null) {
          idle[0].cancel();
        }
        if (logged != null) {
          logged.closed(idle[0] == null ? -1 : idle[0].bytes());
        }
        toClient.close();
        toServer.close();
      }
    };
    toClient.closeHandler(v -> closeBoth.run());
    toServer.closeHandler(v -> closeBoth.run());
    idle[0] = splice(toClient, server, readTimeout, closeBoth);
    if (idle[0] != null) {
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
   * Puts a {@link Relay} in front of Vert.x on both connections when they share an event loop (the
   * backend connection is opened from the client's): no Vert.x buffer copies, one flush per read.
   * Vert.x's idle handlers go, since they turn every write's void promise into a promise with a
   * listener: the relays keep the read timeout themselves. Returns that timer, or null when not spliced.
   */
  private static TunnelActivity splice(NetSocket toClient, ChannelHandlerContext s, Duration readTimeout,
                                        Runnable close) {
    if (!(toClient instanceof NetSocketInternal client) || s == null) {
      return null;
    }
    ChannelHandlerContext c = client.channelHandlerContext();
    if (c.executor() != s.executor() || !c.executor().inEventLoop()) {
      return null;
    }
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

  private static boolean hasChunkedBody(HttpServerRequest request) {
    String te = request.getHeader(HttpHeaders.TRANSFER_ENCODING);
    return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
  }

  private static boolean mayHaveBody(HttpServerRequest request, int status) {
    return request.method() != HttpMethod.HEAD && status != 204 && status != 304 && status >= 200;
  }

  private void failFromBackend(HttpServerRequest request, Throwable cause) {
    if (cause instanceof TimeoutException) {
      fail(request, 504, "gateway_timeout", "the backend did not answer in time");
    } else {
      log.debug("backend exchange for {} failed: {}", request.uri(), cause.toString());
      fail(request, 502, "bad_gateway", "the backend closed the connection");
    }
  }

  private static void fail(HttpServerRequest request, int status, String code, String message) {
    HttpServerResponse response = request.response();
    if (response.headWritten() || response.closed()) {
      response.reset();
      return;
    }
    response.setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("code", code).put("message", message).encode());
  }
}
