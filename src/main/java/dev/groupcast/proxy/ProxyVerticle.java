package dev.groupcast.proxy;

import dev.groupcast.cluster.TlsOptions;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.net.BothFramings;
import dev.groupcast.net.HeaderTimeout;
import dev.groupcast.net.Upgrades;
import dev.groupcast.ops.NodeMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The proxy role, one instance per event loop: its listener and its clients to the backends, and
 * the choice of backend for each request. A backend that refuses or times out on connect is retried
 * on the next one while nothing has been sent to the client; none left gives 502. What happens once
 * a backend took the request is {@link HttpForwarding}'s (plain requests, 502/504) or
 * {@link Tunnels}' (upgrades).
 */
public final class ProxyVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ProxyVerticle.class);

  /** Idle keep-alive client connections are closed after this (nginx's keepalive_timeout is 75 s). */
  static final long CLIENT_IDLE_MS = 75_000;
  static final int REQUEST_POOL_PER_BACKEND = 256;
  static final int MAX_TUNNELS_PER_BACKEND = 1_000_000;
  static final long POOLED_IDLE_MS = 60_000;
  static final int POOLED_REUSE_SECONDS = 30;

  private final GroupcastConfig.Proxy config;
  private final GroupcastConfig.Tls tls;
  private final BackendPool pool;
  private final Duration headerTimeout;
  /** {@code proxy.upgradeRate}, shared by the node's proxy event loops; null: no limit. */
  private final UpgradeGate upgrades;
  /** Connections that had a request refused for its framing, until they are gone (this event loop's). */
  private final Map<HttpConnection, Boolean> refused = new WeakHashMap<>();

  private HttpClient client;
  private HttpClient tunnelClient;
  private HttpForwarding forwarding;
  private Tunnels tunnels;

  public ProxyVerticle(GroupcastConfig.Proxy config, GroupcastConfig.Tls tls, Duration headerTimeout,
                       BackendPool pool, UpgradeGate upgrades) {
    this.config = config;
    this.upgrades = upgrades;
    this.headerTimeout = headerTimeout;
    this.tls = tls;
    this.pool = pool;
  }

  @Override
  public Future<?> start() {
    forwarding = new HttpForwarding(NodeMetrics.of(vertx), pool::failed);
    tunnels = new Tunnels(forwarding, config.readTimeout(), config.accessLog());
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
    // connections idle longer between requests; one is not reused after POOLED_REUSE_SECONDS, well
    // within the gateways' 60 s idle timeout, so a request is never sent on a connection the gateway is
    // closing at that moment (the retry would count a failure against a healthy backend)
    client = vertx.createHttpClient(new HttpClientOptions(toBackends)
            .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(readTimeoutMs, POOLED_IDLE_MS)))
            .setKeepAliveTimeout(POOLED_REUSE_SECONDS),
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
    // garbage, long lines, large headers: Vert.x answers 400/414/431 and closes; a request framed
    // both ways keeps both headers, for handle() to refuse
    return new HeaderTimeout(vertx, headerTimeout)
        .install(vertx.createHttpServer(options), connection -> BothFramings.install(connection, options), this::handle)
        .listen(config.port());
  }

  private void handle(HttpServerRequest request) {
    request.pause();
    if (refused.containsKey(request.connection())) {
      // pipelined behind a request refused for its framing: where it starts is one reading's guess,
      // and it may be the request smuggled in that body
      request.connection().close();
      return;
    }
    boolean upgrade = Upgrades.isWebSocketUpgrade(request.headers());
    String badFraming = RequestFraming.refusal(request.headers(), upgrade);
    if (badFraming != null) {
      // answered and closed: what follows on this connection cannot be told apart from a body
      refused.put(request.connection(), Boolean.TRUE);
      request.response().putHeader(HttpHeaders.CONNECTION, "close")
          .endHandler(v -> request.connection().close());
      ProxyErrors.fail(request, 400, "bad_request", "refused: " + badFraming);
      return;
    }
    Exchange ex = new Exchange(request, upgrade, this::connect);
    if (config.accessLog() && !ex.upgrade) {
      long start = System.nanoTime();
      request.response().endHandler(v -> AccessLog.request(request, ex.backend(), start));
    }
    if (ex.upgrade && upgrades != null) {
      boolean admitted = upgrades.admit(context, () -> request.response().closed(), () -> {
        if (!request.response().closed()) {
          connect(ex); // the client may have gone while it waited
        }
      });
      if (!admitted) {
        request.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
        ProxyErrors.fail(request, ErrorCode.UNAVAILABLE.httpStatus(), ErrorCode.UNAVAILABLE.code(),
            "too many new connections at once (proxy.upgradeRate): try again");
      }
      return;
    }
    connect(ex);
  }

  /** Takes the exchange to the next usable backend; a refused connection moves on to the one after. */
  private void connect(Exchange ex) {
    HttpServerRequest request = ex.request;
    boolean retry = ex.triedAny();
    Backend.Lease lease = ex.next(pool);
    if (lease == null && !retry && !ex.rechecked && pool.canRecheck()) {
      ex.rechecked = true; // once: every backend looks unusable, but that verdict may be a second old
      pool.recheck().onComplete(ar -> context.runOnContext(v -> {
        if (!request.response().closed()) {
          connect(ex);
        }
      }));
      return;
    }
    if (lease == null) {
      ProxyErrors.fail(request, 502, "bad_gateway", retry ? "no backend accepted the connection" : "no backend available");
      return;
    }
    Backend backend = lease.backend();
    RequestOptions options = new RequestOptions()
        .setMethod(request.method())
        .setHost(backend.address().host())
        .setPort(backend.address().port())
        .setURI(request.uri())
        .setIdleTimeout(config.readTimeout().toMillis())
        .setHeaders(HeaderRules.toBackend(request, ex.upgrade));
    (ex.upgrade ? tunnelClient : client).request(options).onComplete(ar -> {
      if (ar.failed()) {
        lease.release();
        pool.failed(backend);
        log.debug("backend {} refused {}: {}", backend, request.uri(), ar.cause().toString());
        if (!request.response().closed()) {
          connect(ex);
        }
        return;
      }
      HttpClientRequest toBackend = ar.result();
      if (request.authority() != null) {
        toBackend.authority(request.authority()); // Host as the client sent it
      }
      if (ex.upgrade) {
        tunnels.open(ex, toBackend);
      } else {
        forwarding.forward(ex, toBackend);
      }
    });
  }
}
