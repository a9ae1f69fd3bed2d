package dev.groupcast;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import dev.groupcast.cluster.ClusterAsk;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.config.Role;
import dev.groupcast.error.CloseCodes;
import dev.groupcast.gateway.ApiBudgets;
import dev.groupcast.gateway.ConnectionsPerAddress;
import dev.groupcast.gateway.GatewayVerticle;
import dev.groupcast.group.GroupHub;
import dev.groupcast.group.log.GroupStore;
import dev.groupcast.group.LocalHub;
import dev.groupcast.group.Presence;
import dev.groupcast.group.TopGroups;
import dev.groupcast.net.BindFailure;
import dev.groupcast.ops.ClusterSafety;
import dev.groupcast.ops.ClusterView;
import dev.groupcast.ops.NodeMetrics;
import dev.groupcast.ops.NodeState;
import dev.groupcast.ops.NodeStats;
import dev.groupcast.ops.OpsServer;
import dev.groupcast.proxy.BackendMonitor;
import dev.groupcast.proxy.BackendPool;
import dev.groupcast.proxy.ProxyMeters;
import dev.groupcast.proxy.ProxyVerticle;
import dev.groupcast.proxy.UpgradeGate;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;

/** One running groupcast process: its Vert.x ({@link NodeRuntime}) and the verticles its roles call for. */
public final class GroupcastNode {

  private static final Logger log = LoggerFactory.getLogger(GroupcastNode.class);
  /** The member attribute in which vertx-hazelcast keeps a member's event-bus node id. */
  static final String VERTX_NODE_ID_ATTRIBUTE = "__vertx.nodeId";

  private final GroupcastConfig config;
  private final Vertx vertx;
  private final GroupHub hub;
  private final NodeState state;
  private final List<LocalHub> localHubs;
  private Future<Void> closing;

  private GroupcastNode(GroupcastConfig config, Vertx vertx, GroupHub hub, NodeState state, List<LocalHub> localHubs) {
    this.config = config;
    this.vertx = vertx;
    this.hub = hub;
    this.state = state;
    this.localHubs = localHubs;
  }

  /**
   * Joins the cluster (a node that needs none runs alone) and deploys the node's roles; the future
   * fails if any step does, with a {@link BindFailure} naming the key of a port that could not be
   * bound. A failed start closes what it opened without making the caller wait for it.
   */
  public static Future<GroupcastNode> start(GroupcastConfig config) {
    return NodeRuntime.start(config).compose(runtime -> deploy(config, runtime).recover(e -> {
      runtime.vertx().close(); // not waited for: the caller reports the failure at once
      return Future.failedFuture(e);
    }));
  }

  private static Future<GroupcastNode> deploy(GroupcastConfig config, NodeRuntime runtime) {
    Vertx vertx = runtime.vertx();
    HazelcastInstance hazelcast = runtime.hazelcast();
    NodeMetrics.of(vertx).gauge("groupcast.cluster.size", "Nodes in the cluster, as this node sees it",
        runtime.nodes()::size);
    NodeState state = new NodeState(config.node().id());
    ClusterAsk ask = new ClusterAsk(vertx, runtime.nodes());
    ClusterView cluster = new ClusterView(ask);
    NodeStats stats = new NodeStats(vertx, runtime.metadata(), state, "topGroups", "backends");
    List<LocalHub> localHubs = new CopyOnWriteArrayList<>();
    GroupHub hub;
    Future<?> deployed;
    if (config.has(Role.GATEWAY)) {
      Presence presence = new Presence(vertx, ask, config.node().id());
      int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
      hub = new GroupHub(new GroupStore(vertx, hazelcast, config), presence, runtime.nodes(), instances,
          config.limits().queuedPublishBytes());
      stats.section("topGroups", new TopGroups(hub, localHubs)::get);
      ConnectionsPerAddress perAddress = new ConnectionsPerAddress(config.limits().connectionsPerIp(),
          config.http().trustedProxies());
      ApiBudgets apiBudgets = new ApiBudgets(config.limits().apiRate(), config.limits().apiBurst(), perAddress,
          config.auth().required());
      deployed = hub.start(vertx)
          .compose(id -> BindFailure.naming("http.port", config.http().host(), config.http().port(),
              vertx.deployVerticle(() -> new GatewayVerticle(config, hub, state, cluster, localHubs, perAddress, apiBudgets),
                  new DeploymentOptions().setInstances(instances))))
          .compose(id -> presence.serve(localHubs));
    } else {
      hub = null; // no clients here: no groups to follow
      log.info("roles {}: no gateway on this node; health, metrics and /admin on port {}", roleKeys(config),
          config.http().port());
      deployed = BindFailure.naming("http.port", config.http().host(), config.http().port(),
          vertx.deployVerticle(new OpsServer(config, state, cluster)));
    }
    return deployed
        .compose(v -> config.has(Role.PROXY) ? deployProxy(config, vertx, runtime, stats)
            : Future.<BackendMonitor>succeededFuture(null))
        .compose(monitor -> stats.serve(runtime.nodes().localBusId()).map(monitor))
        .map(monitor -> {
          if (hazelcast != null) {
            watchCluster(hazelcast, hub, localHubs, monitor);
          }
          if (hazelcast != null && config.has(Role.GATEWAY)) {
            // a proxy-only node sequences nothing: its readiness is its own, not the majority's
            new ClusterSafety(vertx, hazelcast, GroupStore.QUORUM, state).start()
                .onSuccess(v -> logReady(config, vertx, hazelcast));
          } else if (hazelcast != null) {
            logReady(config, vertx, hazelcast);
          } else {
            logReady(config, vertx, null);
          }
          state.markReady();
          bindJvmMeters(vertx, NodeMetrics.of(vertx).registry());
          return new GroupcastNode(config, vertx, hub, state, localHubs);
        });
  }

  private static void logReady(GroupcastConfig config, Vertx vertx, HazelcastInstance hazelcast) {
    log.info("node {} ready (roles {}, {}, {} transport){}", config.node().id(), roleKeys(config),
        hazelcast == null ? "no cluster" : "cluster of " + hazelcast.getCluster().getMembers().size(),
        vertx.isNativeTransportEnabled() ? "epoll" : "nio",
        config.has(Role.GATEWAY) ? ": http://" + config.http().host() + ":" + config.http().port() : "");
  }

  /**
   * What changes in the cluster means for the node: the groups' feeds check themselves against the
   * cluster (a node gone may have stored a message it never fanned out; a node back needs its fan-out
   * again), presence announces the members of a node gone, the proxy re-discovers its backends.
   */
  private static void watchCluster(HazelcastInstance hazelcast, GroupHub hub, List<LocalHub> localHubs,
                                   BackendMonitor monitor) {
    hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        if (hub != null) {
          hub.memberAdded(event.getMember().getAttribute(VERTX_NODE_ID_ATTRIBUTE));
        }
        if (monitor != null) {
          monitor.membershipChanged();
        }
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        String busId = event.getMember().getAttribute(VERTX_NODE_ID_ATTRIBUTE);
        if (hub != null) {
          hub.memberRemoved(busId);
        }
        if (busId != null) {
          localHubs.forEach(local -> local.nodeGone(busId));
        }
        if (monitor != null) {
          monitor.membershipChanged();
        }
      }
    });
    if (hub != null) {
      // members that joined between the hub's start and this listener (seconds, while the gateway
      // started) were never announced: without this, fan-out would skip them until the next change
      hub.membersMayHaveChanged();
      hazelcast.getLifecycleService().addLifecycleListener(event -> {
        if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
          log.info("merged back into the cluster after a split: checking every group");
          hub.clusterRejoined();
        }
      });
      // the map's own listener: it fires only when the owner and every backup of the groups' logs are
      // gone (a lost owner alone is Hazelcast promoting the backup, nothing lost)
      hazelcast.getMap(GroupStore.MAP).addPartitionLostListener(event -> {
        log.warn("partition {} of the groups' logs lost its owner and its backup: its groups start new epochs",
            event.getPartitionId());
        hub.partitionLost();
      });
    }
  }

  /**
   * The JVM's meters reach for the management beans, a tenth of a second of class loading: bound on a
   * worker once the node is ready, so they never delay it.
   */
  private static void bindJvmMeters(Vertx vertx, MeterRegistry registry) {
    vertx.executeBlocking(() -> {
      new JvmMemoryMetrics().bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      new UptimeMetrics().bindTo(registry);
      return null;
    }, false).onFailure(e -> log.warn("JVM meters unavailable: {}", e.toString()));
  }

  /** The backend monitor first, so the proxy listens with its backends known. */
  private static Future<BackendMonitor> deployProxy(GroupcastConfig config, Vertx vertx, NodeRuntime runtime,
                                                    NodeStats stats) {
    BackendPool pool = new BackendPool(config.proxy());
    NodeMetrics metrics = NodeMetrics.of(vertx);
    ProxyMeters.register(metrics, pool);
    stats.section("backends", () -> Future.succeededFuture(pool.describe(metrics)));
    BackendMonitor monitor = new BackendMonitor(config.proxy(), config.tls(), pool, runtime.nodes());
    int instances = proxyEventLoops(config, Runtime.getRuntime().availableProcessors());
    UpgradeGate gate = UpgradeGate.of(vertx, config.proxy().upgradeRate()); // one for the node's event loops
    return vertx.deployVerticle(monitor)
        .compose(id -> BindFailure.naming("proxy.port", "0.0.0.0", config.proxy().port(), vertx.deployVerticle(
            () -> new ProxyVerticle(config.proxy(), config.tls(), config.http().headerTimeout(), pool, gate),
            new DeploymentOptions().setInstances(instances))))
        .map(id -> {
          log.info("proxy listening on port {}: backends {}, balance {}", config.proxy().port(),
              config.proxy().fromCluster() ? "from the cluster" : config.proxy().backends(),
              config.proxy().balance().key());
          return monitor;
        });
  }

  /**
   * {@code proxy.eventLoops}, 0 meaning auto: one per core on a node that is also a gateway; half the
   * cores (at least one) on a proxy-only node, whose every forwarded message costs the kernel's network
   * stack about as much CPU as the proxy itself. On 2 shared cores one loop gave 1.18x nginx's
   * messages/s where two gave 0.99x (README, proxy speed).
   */
  static int proxyEventLoops(GroupcastConfig config, int cores) {
    if (config.proxy().eventLoops() > 0) {
      return config.proxy().eventLoops();
    }
    return config.has(Role.GATEWAY) ? Math.max(1, cores) : Math.max(1, cores / 2);
  }

  private static String roleKeys(GroupcastConfig config) {
    return String.join(",", config.roles().stream().map(Role::key).sorted().toList());
  }

  public GroupcastConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  public GroupHub hub() {
    return hub;
  }

  public NodeState state() {
    return state;
  }

  /**
   * The graceful drain: turns not-ready (new clients are refused with 503, proxies stop sending
   * them), waits {@code shutdown.drainDelay} for load balancers to notice, asks every client to
   * reconnect elsewhere (close 1012 "service restart"), finishes the publishes already accepted, then
   * leaves the cluster. The caller bounds it with {@code shutdown.timeout}.
   */
  public synchronized Future<Void> close() {
    if (closing == null) {
      closing = drain();
    }
    return closing;
  }

  private Future<Void> drain() {
    state.markStopping();
    Promise<Void> noticed = Promise.promise();
    try {
      vertx.setTimer(Math.max(1, config.shutdown().drainDelay().toMillis()), id -> noticed.complete());
    } catch (RejectedExecutionException e) {
      return vertx.close(); // Vert.x is already closing: nothing left to drain
    }
    return noticed.future()
        .compose(v -> Future.join(localHubs.stream()
            .map(h -> h.closeAll(CloseCodes.SERVICE_RESTART, "service restart")).toList()))
        .compose(v -> hub == null ? Future.succeededFuture() : hub.whenIdle())
        .transform(ar -> vertx.close());
  }
}
