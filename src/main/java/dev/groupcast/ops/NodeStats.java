package dev.groupcast.ops;

import dev.groupcast.gateway.NodeState;
import dev.groupcast.group.GroupHub;
import dev.groupcast.group.LocalHub;
import dev.groupcast.group.Presence;
import dev.groupcast.proxy.Backend;
import dev.groupcast.proxy.BackendPool;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * What this node tells the rest of the cluster about itself when asked on {@code gc.node.<bus id>}:
 * identity, readiness, connections, its busiest groups, its proxy's backends and its recent errors;
 * or, asked {@code {"members": G}}, its own members of group G (presence).
 */
public final class NodeStats {

  /** Groups a node reports, busiest first: enough for a dashboard, bounded for a big node. */
  static final int TOP_GROUPS = 20;

  private final Vertx vertx;
  private final JsonObject metadata;
  private final NodeState state;
  private final GroupHub hub;
  private final List<LocalHub> locals;
  private final BackendPool pool;
  private final NodeMetrics metrics;
  private final long startedAt = System.currentTimeMillis();

  /** {@code hub} is null on a node without the gateway role, {@code pool} on one without the proxy role. */
  public NodeStats(Vertx vertx, JsonObject metadata, NodeState state, GroupHub hub, List<LocalHub> locals,
                   BackendPool pool) {
    this.vertx = vertx;
    this.metadata = metadata;
    this.state = state;
    this.hub = hub;
    this.locals = locals;
    this.pool = pool;
    this.metrics = NodeMetrics.of(vertx);
  }

  public static String address(String busNodeId) {
    return "gc.node." + busNodeId;
  }

  /** Answers requests on this node's address. */
  public Future<MessageConsumer<JsonObject>> serve(String busNodeId) {
    MessageConsumer<JsonObject> consumer = vertx.eventBus().consumer(address(busNodeId), m -> {
      String group = m.body() == null ? null : m.body().getString(Presence.MEMBERS_QUERY);
      Future<?> answer = group != null ? members(group) : snapshot();
      answer.onComplete(ar -> {
        if (ar.succeeded()) {
          m.reply(ar.result());
        } else {
          m.fail(500, ar.cause().toString());
        }
      });
    });
    return consumer.completion().map(consumer);
  }

  /** This node's members of {@code group}, for {@link Presence#members}. */
  private Future<JsonArray> members(String group) {
    return fromEveryLoop(local -> local.members(group)).map(perLoop -> {
      JsonArray out = new JsonArray();
      perLoop.forEach(members -> members.forEach(out::add));
      return out;
    });
  }

  /** The same question to every event loop's {@link LocalHub}, each answering on its own loop. */
  private <T> Future<List<T>> fromEveryLoop(Function<LocalHub, Future<T>> question) {
    List<Future<T>> answers = new ArrayList<>();
    for (LocalHub local : locals) {
      answers.add(question.apply(local));
    }
    return Future.all(answers).map(all -> answers.stream().map(Future::result).toList());
  }

  public Future<JsonObject> snapshot() {
    Future<List<JsonObject>> activities = hub == null ? Future.succeededFuture(List.of()) : hub.groupActivity();
    return fromEveryLoop(LocalHub::memberCounts).compose(counts -> activities.map(activity -> {
      Map<String, Integer> members = new HashMap<>();
      counts.forEach(perLoop -> perLoop.forEach((group, n) -> members.merge(group, n, Integer::sum)));
      List<JsonObject> groups = new ArrayList<>();
      for (JsonObject a : activity) {
        groups.add(a.put("members", members.getOrDefault(a.getString("group"), 0)));
      }
      groups.sort(Comparator.comparingInt((JsonObject g) -> g.getInteger("members"))
          .thenComparingLong(g -> g.getLong("messages")).reversed());
      return new JsonObject()
          .put("id", metadata.getString("node"))
          .put("http", metadata.getString("http"))
          .put("roles", metadata.getJsonArray("roles"))
          .put("ready", state.ready())
          .put("status", state.phase().name().toLowerCase(Locale.ROOT))
          .put("startedAt", startedAt)
          .put("connections", metrics.connections())
          .put("transports", new JsonObject()
              .put(NodeMetrics.TRANSPORT_WS, metrics.connections(NodeMetrics.TRANSPORT_WS))
              .put(NodeMetrics.TRANSPORT_SOCKJS, metrics.connections(NodeMetrics.TRANSPORT_SOCKJS))
              .put(NodeMetrics.TRANSPORT_BRIDGE, metrics.connections(NodeMetrics.TRANSPORT_BRIDGE)))
          .put("groups", metrics.groups())
          .put("members", metrics.members())
          .put("published", (long) metrics.publishedTotal())
          .put("delivered", (long) metrics.deliveredTotal())
          .put("topGroups", new JsonArray(new ArrayList<>(groups.subList(0, Math.min(TOP_GROUPS, groups.size())))))
          .put("backends", backends())
          .put("errors", metrics.recentErrors());
    }));
  }

  private JsonArray backends() {
    JsonArray out = new JsonArray();
    if (pool == null) {
      return out;
    }
    Map<String, Double> requests = metrics.proxiedByBackend();
    long now = System.currentTimeMillis();
    for (Backend b : pool.backends()) {
      out.add(new JsonObject()
          .put("address", b.key())
          .put("up", b.available(now))
          .put("tunnels", b.tunnels())
          .put("active", b.active())
          .put("requests", requests.getOrDefault(b.key(), 0.0).longValue()));
    }
    return out;
  }
}
