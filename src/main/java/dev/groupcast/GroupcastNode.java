package dev.groupcast;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import dev.groupcast.cluster.ClusterNodes;
import dev.groupcast.cluster.ClusterSetup;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.config.Role;
import dev.groupcast.net.BindFailure;
import dev.groupcast.gateway.ConnectionsPerAddress;
import dev.groupcast.gateway.GatewayVerticle;
import dev.groupcast.gateway.NodeState;
import dev.groupcast.gateway.OpsServer;
import dev.groupcast.group.GroupHub;
import dev.groupcast.group.HistoryStore;
import dev.groupcast.group.LocalHub;
import dev.groupcast.proxy.BackendMonitor;
import dev.groupcast.proxy.BackendPool;
import dev.groupcast.proxy.ProxyMeters;
import dev.groupcast.proxy.ProxyVerticle;
import dev.groupcast.group.Presence;
import dev.groupcast.ops.NodeMetrics;
import dev.groupcast.ops.NodeStats;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;

/** One running groupcast process: the clustered Vert.x instance and the verticles its roles call for. */
public final class GroupcastNode {

  private static final Logger log = LoggerFactory.getLogger(GroupcastNode.class);
  /** WebSocket close code 1012: the server restarts, reconnect (elsewhere). */
  public static final int SERVICE_RESTART = 1012;
  static final long SAFE_WAIT_MS = 30_000;
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
    // the Prometheus registry takes a quarter of a second to build: on its own thread, while the
    // cluster forms; Vert.x's meters go through a composite it joins once built
    CompletableFuture<PrometheusMeterRegistry> prometheus = new CompletableFuture<>();
    Thread builder = new Thread(() -> {
      try {
        prometheus.complete(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
      } catch (Throwable e) {
        prometheus.completeExceptionally(e);
      }
    }, "groupcast-metrics-setup");
    builder.setDaemon(true);
    builder.start();
    CompositeMeterRegistry vertxMeters = new CompositeMeterRegistry();
    VertxOptions options = ClusterSetup.vertxOptions(config).setMetricsOptions(metricsOptions()
        // Vert.x keeps its registries in a static map by name: one per node, for several in a JVM (demo)
        .setRegistryName("groupcast-" + config.node().id() + "-" + config.cluster().port() + "-" + config.http().port()));
    JsonObject metadata = options.getEventBusOptions().getClusterNodeMetadata();
    VertxBuilder vertxBuilder = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(vertxMeters));
    Future<Vertx> created;
    HazelcastClusterManager clusterManager;
    if (config.clustered()) {
      clusterManager = new HazelcastClusterManager(ClusterSetup.hazelcastConfig(config));
      created = vertxBuilder.withClusterManager(clusterManager).buildClustered()
          .recover(e -> Future.failedFuture(clusterStartFailure(config, e)));
    } else {
      clusterManager = null; // a proxy with a static backend list needs no cluster
      created = Future.succeededFuture(vertxBuilder.build());
    }
    return created.compose(vertx -> Future.fromCompletionStage(prometheus, vertx.getOrCreateContext())
        .compose(registry -> {
          vertxMeters.add(registry);
          NodeMetrics.install(vertx, new NodeMetrics(registry));
          ClusterNodes nodes = clusterManager == null ? ClusterNodes.standalone(metadata) : ClusterNodes.of(clusterManager);
          return deploy(config, vertx, clusterManager, nodes, metadata);
        })
        .recover(e -> {
          vertx.close(); // not waited for: the caller reports the failure at once
          return Future.failedFuture(e);
        }));
  }

  /** Hazelcast's member port or the event bus's port could not be bound: say which key, in one line. */
  private static Throwable clusterStartFailure(GroupcastConfig config, Throwable e) {
    String host = config.cluster().host();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getClass().getName().startsWith("com.hazelcast") && String.valueOf(t.getMessage()).contains("in use")) {
        return new BindFailure("cluster.port", host, config.cluster().port(), new java.net.BindException("Address already in use"));
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException || String.valueOf(t.getMessage()).startsWith("bind(")) {
        return new BindFailure("cluster.busPort", host, config.cluster().busPort(), t);
      }
    }
    return e;
  }

  /**
   * Vert.x's worker pools; not the per-message domains (event bus, TCP and HTTP server bytes), which
   * would put a counter on every frame of the fan-out path.
   */
  private static MicrometerMetricsOptions metricsOptions() {
    MicrometerMetricsOptions options = new MicrometerMetricsOptions().setEnabled(true);
    for (MetricsDomain domain : new MetricsDomain[] {MetricsDomain.EVENT_BUS, MetricsDomain.NET_SERVER,
        MetricsDomain.NET_CLIENT, MetricsDomain.HTTP_CLIENT, MetricsDomain.DATAGRAM_SOCKET, MetricsDomain.VERTICLES,
        MetricsDomain.HTTP_SERVER}) {
      options.addDisabledMetricsCategory(domain);
    }
    return options;
  }

  private static Future<GroupcastNode> deploy(GroupcastConfig config, Vertx vertx,
                                              HazelcastClusterManager clusterManager, ClusterNodes nodes,
                                              JsonObject metadata) {
    HazelcastInstance hazelcast = clusterManager == null ? null : clusterManager.getHazelcastInstance();
    NodeMetrics metrics = NodeMetrics.of(vertx);
    metrics.gauge("groupcast.cluster.size", "Nodes in the cluster, as this node sees it", nodes::size);
    NodeState state = new NodeState(config.node().id());
    List<LocalHub> localHubs = new CopyOnWriteArrayList<>();
    GroupHub hub;
    Future<?> deployed;
    if (config.has(Role.GATEWAY)) {
      HistoryStore history = new HistoryStore(vertx, hazelcast, config.history());
      Presence presence = new Presence(vertx, nodes, config.node().id());
      hub = new GroupHub(history, presence);
      ConnectionsPerAddress perAddress = new ConnectionsPerAddress(config.limits().connectionsPerIp(),
          config.http().trustedProxies());
      int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
      deployed = vertx.deployVerticle(hub)
          .compose(id -> BindFailure.naming("http.port", config.http().host(), config.http().port(),
              vertx.deployVerticle(() -> new GatewayVerticle(config, hub, state, nodes, localHubs, perAddress),
                  new DeploymentOptions().setInstances(instances))));
    } else {
      hub = null; // no clients here: no groups to follow
      log.info("roles {}: no gateway on this node; health, metrics and /admin on port {}", roleKeys(config),
          config.http().port());
      deployed = BindFailure.naming("http.port", config.http().host(), config.http().port(),
          vertx.deployVerticle(new OpsServer(config, state, nodes)));
    }
    return deployed
        .compose(id -> config.has(Role.PROXY) ? deployProxy(config, vertx, nodes) : Future.<BackendMonitor>succeededFuture(null))
        .compose(monitor -> new NodeStats(vertx, metadata, state, hub, localHubs, monitor == null ? null : monitor.pool())
            .serve(nodes.localBusId()).map(monitor))
        .compose(monitor -> hazelcast == null ? Future.succeededFuture(monitor) : localMemberSafe(vertx, hazelcast).map(monitor))
        .map(monitor -> {
          if (hazelcast != null) {
            watchMembership(hazelcast, hub, localHubs, monitor);
          }
          state.markReady();
          bindJvmMeters(vertx, NodeMetrics.of(vertx).registry());
          log.info("node {} ready (roles {}, {}, {} transport){}", config.node().id(), roleKeys(config),
              hazelcast == null ? "no cluster" : "cluster of " + hazelcast.getCluster().getMembers().size(),
              vertx.isNativeTransportEnabled() ? "epoll" : "nio",
              config.has(Role.GATEWAY) ? ": http://" + config.http().host() + ":" + config.http().port() : "");
          return new GroupcastNode(config, vertx, hub, state, localHubs);
        });
  }

  private static void watchMembership(HazelcastInstance hazelcast, GroupHub hub, List<LocalHub> localHubs,
                                      BackendMonitor monitor) {
    hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        if (monitor != null) {
          monitor.membershipChanged();
        }
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        if (hub != null) {
          hub.catchUpAll();
        }
        String busId = event.getMember().getAttribute(VERTX_NODE_ID_ATTRIBUTE);
        if (busId != null) {
          localHubs.forEach(local -> local.nodeGone(busId));
        }
        if (monitor != null) {
          monitor.membershipChanged();
        }
      }
    });
  }

  /**
   * Ready only once this member's share of the partitions (history and its backups) is in sync: a
   * rolling update then never takes the next node while the last one is still receiving its data.
   * Bounded, so a node never stays unready because of the rest of the cluster.
   */
  private static Future<Void> localMemberSafe(Vertx vertx, HazelcastInstance hazelcast) {
    long deadline = System.currentTimeMillis() + SAFE_WAIT_MS;
    return vertx.executeBlocking(() -> {
      while (!hazelcast.getPartitionService().isLocalMemberSafe()) {
        if (System.currentTimeMillis() > deadline) {
          log.warn("partition replicas not in sync after {} ms; becoming ready anyway", SAFE_WAIT_MS);
          return null;
        }
        Thread.sleep(50); // a worker thread polling Hazelcast's own state; no event loop waits on it
      }
      return null;
    }, false);
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
  private static Future<BackendMonitor> deployProxy(GroupcastConfig config, Vertx vertx, ClusterNodes nodes) {
    BackendPool pool = new BackendPool(config.proxy());
    ProxyMeters.register(NodeMetrics.of(vertx), pool);
    BackendMonitor monitor = new BackendMonitor(config.proxy(), config.tls(), pool, nodes);
    int instances = proxyEventLoops(config, Runtime.getRuntime().availableProcessors());
    return vertx.deployVerticle(monitor)
        .compose(id -> BindFailure.naming("proxy.port", "0.0.0.0", config.proxy().port(), vertx.deployVerticle(
            () -> new ProxyVerticle(config.proxy(), config.tls(), config.http().headerTimeout(), pool),
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
        .compose(v -> Future.join(localHubs.stream().map(h -> h.closeAll(SERVICE_RESTART, "service restart")).toList()))
        .compose(v -> hub == null ? Future.succeededFuture() : hub.whenIdle())
        .transform(ar -> vertx.close());
  }
}
