package dev.groupcast.proxy;

import dev.groupcast.cluster.ClusterNodes;
import dev.groupcast.cluster.TlsOptions;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.config.HostPort;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the {@link BackendPool} current. With {@code proxy.backends = cluster} it follows the gateway
 * nodes advertised in the cluster metadata (at once on a membership change, and every
 * {@code proxy.healthInterval}) and checks each one's {@code /health/ready}: a node that fails it, or
 * is shutting down (503), gets no new clients until it passes again. Static backends have passive
 * health only.
 */
public final class BackendMonitor extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(BackendMonitor.class);

  private final GroupcastConfig.Proxy config;
  private final GroupcastConfig.Tls tls;
  private final BackendPool pool;
  private final ClusterNodes nodes;
  private HttpClient client;
  /** The discovery and check under way, if any (this verticle's context only). */
  private Future<Void> refreshing;
  private boolean refreshAgain;

  public BackendMonitor(GroupcastConfig.Proxy config, GroupcastConfig.Tls tls, BackendPool pool, ClusterNodes nodes) {
    this.config = config;
    this.tls = tls;
    this.pool = pool;
    this.nodes = nodes;
  }

  public BackendPool pool() {
    return pool;
  }

  @Override
  public Future<?> start() {
    if (!config.fromCluster()) {
      return Future.succeededFuture();
    }
    long checkTimeoutMs = Math.min(config.connectTimeout().toMillis(), config.healthInterval().toMillis());
    HttpClientOptions options = new HttpClientOptions().setConnectTimeout((int) checkTimeoutMs).setKeepAlive(true);
    if (tls.enabled()) {
      TlsOptions.client(options, tls);
    }
    client = vertx.createHttpClient(options);
    vertx.setPeriodic(config.healthInterval().toMillis(), id -> refresh());
    pool.recheckWith(this::recheck);
    // at start the gateways (this node's too) may still answer 503 "starting": discover only, and let
    // the first periodic check judge them; passive health covers the meantime
    return refreshNow(false);
  }

  /** Cluster membership changed: look again now rather than at the next interval. Any thread. */
  public void membershipChanged() {
    if (context != null && config.fromCluster()) {
      context.runOnContext(v -> refresh());
    }
  }

  private void refresh() {
    if (refreshing != null) {
      refreshAgain = true;
      return;
    }
    refreshNow(true).onComplete(ar -> {
      if (refreshAgain) {
        refreshAgain = false;
        refresh();
      }
    });
  }

  /**
   * Discovers and checks every backend now, or joins the round already under way: however many
   * requests find no usable backend at once, one round runs. Any thread.
   */
  private Future<Void> recheck() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> (refreshing != null ? refreshing : refreshNow(true)).onComplete(ar -> done.complete()));
    return done.future();
  }

  private Future<Void> refreshNow(boolean check) {
    Future<Void> round = nodes.list()
        .map(list -> {
          pool.replace(gateways(list));
          return null;
        })
        .compose(v -> check ? checkAll() : Future.<Void>succeededFuture())
        .onFailure(e -> log.warn("backend discovery failed: {}", e.toString()))
        .eventually(() -> {
          refreshing = null;
          return Future.succeededFuture();
        })
        .mapEmpty();
    if (!round.isComplete()) {
      refreshing = round;
    }
    return round;
  }

  static List<HostPort> gateways(List<JsonObject> nodes) {
    List<HostPort> out = new ArrayList<>();
    for (JsonObject node : nodes) {
      Object roles = node.getValue("roles");
      String http = node.getString("http");
      if (http != null && roles instanceof JsonArray r && r.contains("gateway")) {
        try {
          out.add(HostPort.parse(http));
        } catch (IllegalArgumentException e) {
          log.warn("node {} advertises a bad HTTP address {}", node.getString("node"), http);
        }
      }
    }
    return out;
  }

  private Future<Void> checkAll() {
    List<Future<Void>> checks = new ArrayList<>();
    for (Backend b : pool.backends()) {
      checks.add(check(b));
    }
    return Future.join(checks).mapEmpty();
  }

  private Future<Void> check(Backend backend) {
    RequestOptions ready = new RequestOptions().setMethod(HttpMethod.GET)
        .setHost(backend.address().host()).setPort(backend.address().port()).setURI("/health/ready")
        .setIdleTimeout(config.healthInterval().toMillis());
    return client.request(ready)
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(body -> resp.statusCode() == 200))
        .recover(e -> Future.succeededFuture(false))
        .map(ok -> {
          if (backend.healthy != ok) {
            log.info("backend {} is {}", backend, ok ? "ready again" : "not ready: no new clients");
          }
          backend.healthy = ok;
          return null;
        });
  }
}
