package dev.groupcast.ops;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What this node tells the rest of the cluster about itself when asked on {@code gc.node.<bus id>}:
 * identity, readiness, connections and counters from its metrics, recent errors, and the sections
 * the roles it runs add ({@code topGroups} from the gateway's groups, {@code backends} from the
 * proxy): a section no role fills is an empty list.
 */
public final class NodeStats {

  private final Vertx vertx;
  private final JsonObject metadata;
  private final NodeState state;
  private final NodeMetrics metrics;
  private final long startedAt = System.currentTimeMillis();
  private final Map<String, Supplier<Future<JsonArray>>> sections = new LinkedHashMap<>();

  /** {@code sections}: the names every snapshot carries, each an empty list until a role fills it. */
  public NodeStats(Vertx vertx, JsonObject metadata, NodeState state, String... sections) {
    this.vertx = vertx;
    this.metadata = metadata;
    this.state = state;
    this.metrics = NodeMetrics.of(vertx);
    for (String name : sections) {
      this.sections.put(name, () -> Future.succeededFuture(new JsonArray()));
    }
  }

  public static String address(String busNodeId) {
    return "gc.node." + busNodeId;
  }

  /** Fills the section {@code name} of every snapshot from now on. Call before {@link #serve}. */
  public NodeStats section(String name, Supplier<Future<JsonArray>> content) {
    sections.put(name, content);
    return this;
  }

  /** Answers requests on this node's address. */
  public Future<MessageConsumer<Object>> serve(String busNodeId) {
    MessageConsumer<Object> consumer = vertx.eventBus().consumer(address(busNodeId), m -> snapshot().onComplete(ar -> {
      if (ar.succeeded()) {
        m.reply(ar.result());
      } else {
        m.fail(500, ar.cause().toString());
      }
    }));
    return consumer.completion().map(consumer);
  }

  public Future<JsonObject> snapshot() {
    List<String> names = new ArrayList<>(sections.keySet());
    List<Future<JsonArray>> filled = names.stream().map(n -> sections.get(n).get()).toList();
    return Future.all(filled).map(all -> {
      JsonObject out = new JsonObject()
          .put("id", metadata.getString("node"))
          .put("http", metadata.getString("http"))
          .put("roles", metadata.getJsonArray("roles"))
          .put("ready", state.ready())
          .put("status", state.status())
          .put("startedAt", startedAt)
          .put("connections", metrics.connections())
          .put("transports", new JsonObject()
              .put(NodeMetrics.TRANSPORT_WS, metrics.connections(NodeMetrics.TRANSPORT_WS))
              .put(NodeMetrics.TRANSPORT_SOCKJS, metrics.connections(NodeMetrics.TRANSPORT_SOCKJS))
              .put(NodeMetrics.TRANSPORT_BRIDGE, metrics.connections(NodeMetrics.TRANSPORT_BRIDGE)))
          .put("groups", metrics.groups())
          .put("members", metrics.members())
          .put("published", (long) metrics.publishedTotal())
          .put("delivered", (long) metrics.deliveredTotal());
      for (int i = 0; i < names.size(); i++) {
        out.put(names.get(i), filled.get(i).result());
      }
      return out.put("errors", metrics.recentErrors());
    });
  }
}
