package dev.groupcast.proxy;

import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.config.HostPort;
import dev.groupcast.ops.NodeMetrics;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.http.HttpServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

import io.vertx.core.Future;

/**
 * The backends the proxy may use, shared by all its event loops. The set is replaced as a whole
 * (static list, or the cluster's gateways as they come and go); a backend that stays keeps its
 * counters and health.
 */
public final class BackendPool {

  private static final Logger log = LoggerFactory.getLogger(BackendPool.class);

  private record Snapshot(List<Backend> backends, HashRing ring) {
  }

  private final BalancePolicy policy;
  private final int maxFails;
  private final long failTimeoutMs;
  private volatile Snapshot snapshot = new Snapshot(List.of(), new HashRing(List.of()));
  /** Checks every backend again at once (the monitor's health check); null for static backends. */
  private volatile Supplier<Future<Void>> recheck;

  public BackendPool(GroupcastConfig.Proxy config) {
    this.policy = BalancePolicy.of(config.balance(), config.hashKey());
    this.maxFails = config.maxFails();
    this.failTimeoutMs = config.failTimeout().toMillis();
    if (!config.fromCluster()) {
      replace(config.backends());
    }
  }

  public List<Backend> backends() {
    return snapshot.backends();
  }

  /** Who can check every backend again at once, when a request finds none usable. */
  void recheckWith(Supplier<Future<Void>> recheck) {
    this.recheck = recheck;
  }

  boolean canRecheck() {
    return recheck != null;
  }

  /**
   * Checks every backend again now. A request that finds none usable waits for this rather than
   * failing on a verdict up to {@code proxy.healthInterval} old: the usual case is gateways that
   * turned ready a moment ago (a cluster starting, a rolling restart), as nginx retries every server
   * before it gives up on all of them. Completes on any thread.
   */
  Future<Void> recheck() {
    Supplier<Future<Void>> r = recheck;
    return r == null ? Future.succeededFuture() : r.get();
  }

  /** Makes {@code addresses} the backend set, keeping the state of those already known. */
  public synchronized void replace(List<HostPort> addresses) {
    Map<String, Backend> known = new HashMap<>();
    for (Backend b : snapshot.backends()) {
      known.put(b.key(), b);
    }
    List<Backend> next = new ArrayList<>();
    for (HostPort address : addresses) {
      Backend b = known.remove(address.toString());
      next.add(b != null ? b : new Backend(address));
    }
    if (!known.isEmpty() || next.size() != snapshot.backends().size()) {
      log.info("proxy backends: {}", next);
    }
    snapshot = new Snapshot(List.copyOf(next), new HashRing(next));
  }

  /**
   * The backend for a new request, skipping those already tried. SockJS session requests always go
   * to the owner of their session on the hash ring, whatever the policy, so polling transports find
   * their session again.
   */
  Backend pick(HttpServerRequest request, Set<Backend> tried) {
    Snapshot s = snapshot;
    long now = System.currentTimeMillis();
    Predicate<Backend> usable = b -> b.available(now) && !tried.contains(b);
    String session = SockJsPaths.sessionKey(request.path());
    if (session != null) {
      return s.ring().pick(session, usable);
    }
    return policy.pick(s.backends(), s.ring(), request, usable);
  }

  /**
   * The backends as {@code /api/nodes} lists them: address, health, open tunnels, requests and tunnels
   * in flight, and requests passed to each so far.
   */
  public JsonArray describe(NodeMetrics metrics) {
    JsonArray out = new JsonArray();
    Map<String, Double> requests = metrics.proxiedByBackend();
    long now = System.currentTimeMillis();
    for (Backend b : backends()) {
      out.add(new JsonObject()
          .put("address", b.key())
          .put("up", b.available(now))
          .put("tunnels", b.tunnels())
          .put("active", b.active())
          .put("requests", requests.getOrDefault(b.key(), 0.0).longValue()));
    }
    return out;
  }

  /** Passive health: a connection to the backend failed. */
  void failed(Backend backend) {
    backend.failed(System.currentTimeMillis(), maxFails, failTimeoutMs);
  }
}
