package dev.groupcast;

import dev.groupcast.cluster.ClusterNodes;
import dev.groupcast.cluster.ClusterSetup;
import dev.groupcast.cluster.LiteMemberClusterManager;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.group.log.GroupStore;
import dev.groupcast.net.BindFailure;
import dev.groupcast.ops.NodeMetrics;
import dev.groupcast.ops.UnhandledExceptions;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.concurrent.CompletableFuture;

/**
 * What a node runs on: its Vert.x, clustered through Hazelcast or alone (a proxy with a static
 * backend list needs no cluster), with the node's meter registry installed, and the cluster's nodes
 * as it sees them.
 */
record NodeRuntime(Vertx vertx, HazelcastClusterManager clusterManager, ClusterNodes nodes, JsonObject metadata) {

  /**
   * Builds it; a member port or event-bus port that cannot be bound fails with a {@link BindFailure}
   * naming its key.
   */
  static Future<NodeRuntime> start(GroupcastConfig config) {
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
      com.hazelcast.config.Config hazelcast = ClusterSetup.hazelcastConfig(config);
      GroupStore.configure(hazelcast, config);
      // a proxy-only node holds no data (LiteMemberClusterManager says why) and waits for a gateway
      clusterManager = config.proxyOnly() ? new LiteMemberClusterManager(hazelcast) : new HazelcastClusterManager(hazelcast);
      created = vertxBuilder.withClusterManager(clusterManager).buildClustered()
          .recover(e -> Future.failedFuture(clusterStartFailure(config, e)));
    } else {
      clusterManager = null;
      created = Future.succeededFuture(vertxBuilder.build());
    }
    return created.compose(vertx -> Future.fromCompletionStage(prometheus, vertx.getOrCreateContext())
        .map(registry -> {
          vertxMeters.add(registry);
          NodeMetrics metrics = new NodeMetrics(registry);
          NodeMetrics.install(vertx, metrics);
          vertx.exceptionHandler(new UnhandledExceptions(metrics));
          ClusterNodes nodes = clusterManager == null ? ClusterNodes.standalone(metadata) : ClusterNodes.of(clusterManager);
          return new NodeRuntime(vertx, clusterManager, nodes, metadata);
        }));
  }

  com.hazelcast.core.HazelcastInstance hazelcast() {
    return clusterManager == null ? null : clusterManager.getHazelcastInstance();
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
}
