package dev.groupcast.ops;

import dev.groupcast.cluster.ClusterNodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Every node's {@link NodeStats}, asked over the event bus in parallel. A node that does not answer
 * within {@link #ASK_TIMEOUT_MS} is still listed, from its cluster metadata, as not reachable.
 */
public final class ClusterView {

  static final long ASK_TIMEOUT_MS = 2000;

  private final Vertx vertx;
  private final ClusterNodes nodes;

  public ClusterView(Vertx vertx, ClusterNodes nodes) {
    this.vertx = vertx;
    this.nodes = nodes;
  }

  public Future<List<JsonObject>> nodes() {
    return nodes.list().compose(list -> {
      List<Future<JsonObject>> answers = new ArrayList<>();
      DeliveryOptions options = new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MS);
      for (JsonObject meta : list) {
        answers.add(vertx.eventBus().<JsonObject>request(NodeStats.address(meta.getString("bus")), null, options)
            .map(Message::body)
            .map(stats -> stats.put("reachable", true))
            .otherwise(e -> new JsonObject()
                .put("id", meta.getString("node"))
                .put("http", meta.getString("http"))
                .put("roles", meta.getJsonArray("roles"))
                .put("ready", false)
                .put("reachable", false)));
      }
      return Future.all(answers).map(all -> {
        List<JsonObject> out = new ArrayList<>();
        answers.forEach(a -> out.add(a.result()));
        return out;
      });
    });
  }
}
