package dev.groupcast.ops;

import dev.groupcast.error.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * groupcast's own series on this node, in the registry {@code /metrics} scrapes (Vert.x's and the
 * JVM's meters are there too). One per Vert.x instance, found with {@link #of}. Hot paths count once
 * per message and event loop, never once per member.
 */
public final class NodeMetrics implements Shareable {

  public static final String TRANSPORT_WS = "ws";
  public static final String TRANSPORT_SOCKJS = "sockjs";
  public static final String TRANSPORT_BRIDGE = "eventbus";
  private static final String LOCAL_MAP = "groupcast.node";
  private static final String KEY = "metrics";
  /** Latency buckets in the order of what a chat or scoring client notices. */
  private static final Duration[] LATENCY_BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5)};

  private final PrometheusMeterRegistry registry;
  private final Map<String, AtomicInteger> connections = new ConcurrentHashMap<>();
  private final AtomicInteger groups = new AtomicInteger();
  private final AtomicInteger members = new AtomicInteger();
  private final Counter published;
  private final Counter delivered;
  private final Counter slowConsumers;
  private final Timer latency;
  private final Map<ErrorCode, Counter> errors = new EnumMap<>(ErrorCode.class);
  private final Map<String, Counter> proxyRequests = new ConcurrentHashMap<>();
  private final RecentErrors recentErrors = new RecentErrors(50);
  private final List<Runnable> beforeScrape = new CopyOnWriteArrayList<>();

  public NodeMetrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
    for (String transport : new String[] {TRANSPORT_WS, TRANSPORT_SOCKJS, TRANSPORT_BRIDGE}) {
      AtomicInteger open = new AtomicInteger();
      connections.put(transport, open);
      Gauge.builder("groupcast.connections", open, AtomicInteger::get)
          .description("Open client connections on this node").tag("transport", transport).register(registry);
    }
    Gauge.builder("groupcast.groups", groups, AtomicInteger::get)
        .description("Groups with at least one member on this node").register(registry);
    Gauge.builder("groupcast.members", members, AtomicInteger::get)
        .description("Group memberships on this node").register(registry);
    published = Counter.builder("groupcast.messages.published")
        .description("Messages accepted (sequenced and stored) through this node").register(registry);
    delivered = Counter.builder("groupcast.messages.delivered")
        .description("Messages handed to members on this node, one per member").register(registry);
    slowConsumers = Counter.builder("groupcast.slow.consumer.disconnects")
        .description("Connections closed because they did not read fast enough").register(registry);
    latency = Timer.builder("groupcast.delivery.latency")
        .description("From a message's acceptance to its fan-out on this node")
        .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    for (ErrorCode code : ErrorCode.values()) {
      errors.put(code, Counter.builder("groupcast.errors").description("Errors answered to clients, by code")
          .tag("code", code.code()).register(registry));
    }
  }

  /** This Vert.x instance's metrics; an instance built without them (tests) gets its own registry. */
  public static NodeMetrics of(Vertx vertx) {
    LocalMap<String, NodeMetrics> map = vertx.sharedData().getLocalMap(LOCAL_MAP);
    NodeMetrics known = map.get(KEY);
    if (known != null) {
      return known;
    }
    NodeMetrics created = new NodeMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    NodeMetrics raced = map.putIfAbsent(KEY, created);
    return raced != null ? raced : created;
  }

  /** Makes {@code metrics} what {@link #of} returns for {@code vertx}; call before deploying anything. */
  public static void install(Vertx vertx, NodeMetrics metrics) {
    vertx.sharedData().<String, NodeMetrics>getLocalMap(LOCAL_MAP).put(KEY, metrics);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    beforeScrape.forEach(Runnable::run);
    return registry.scrape();
  }

  public void gauge(String name, String description, Supplier<Number> value) {
    Gauge.builder(name, value).description(description).register(registry);
  }

  /** Rows of a tagged gauge whose set changes (e.g. per backend), read again at every scrape. */
  public void multiGauge(String name, String description, Supplier<List<MultiGauge.Row<?>>> rows) {
    MultiGauge gauge = MultiGauge.builder(name).description(description).register(registry);
    beforeScrape.add(() -> gauge.register(rows.get(), true));
  }

  public void connectionOpened(String transport) {
    connections.get(transport).incrementAndGet();
  }

  public void connectionClosed(String transport) {
    connections.get(transport).decrementAndGet();
  }

  public int connections() {
    int sum = 0;
    for (AtomicInteger open : connections.values()) {
      sum += open.get();
    }
    return sum;
  }

  public int connections(String transport) {
    return connections.get(transport).get();
  }

  public void groupOpened() {
    groups.incrementAndGet();
  }

  public void groupClosed() {
    groups.decrementAndGet();
  }

  public int groups() {
    return groups.get();
  }

  public void memberAdded() {
    members.incrementAndGet();
  }

  public void memberRemoved() {
    members.decrementAndGet();
  }

  public int members() {
    return members.get();
  }

  public void published(int messages) {
    published.increment(messages);
  }

  public double publishedTotal() {
    return published.count();
  }

  /** A message reached the members of one event loop. */
  public void delivered(int members) {
    delivered.increment(members);
  }

  public double deliveredTotal() {
    return delivered.count();
  }

  /** A message is fanned out on this node, {@code ageMs} after it was accepted. */
  public void fannedOut(long ageMs) {
    latency.record(Math.max(0, ageMs), TimeUnit.MILLISECONDS);
  }

  public void slowConsumer() {
    slowConsumers.increment();
  }

  public void error(ErrorCode code, String message) {
    errors.get(code).increment();
    recentErrors.add(code.code(), message);
  }

  public JsonArray recentErrors() {
    return recentErrors.toJson();
  }

  /** A request or tunnel the proxy passed to {@code backend}, by the backend's status class (2xx, 101...). */
  public void proxied(String backend, int status) {
    String statusClass = status == 101 ? "101" : (status / 100) + "xx";
    proxyRequests.computeIfAbsent(backend + ' ' + statusClass, k -> Counter.builder("groupcast.proxy.requests")
        .description("Requests and tunnels the proxy passed on, by backend and status class")
        .tags(Tags.of("backend", backend, "status", statusClass)).register(registry)).increment();
  }

  /** Requests the proxy passed to each backend, for the dashboard. */
  public Map<String, Double> proxiedByBackend() {
    Map<String, Double> out = new ConcurrentHashMap<>();
    proxyRequests.forEach((key, counter) -> out.merge(key.substring(0, key.indexOf(' ')), counter.count(), Double::sum));
    return out;
  }
}
