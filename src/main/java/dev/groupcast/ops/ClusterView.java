package dev.groupcast.ops;

import dev.groupcast.cluster.ClusterNodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Asks every node in parallel over the event bus, on {@link NodeStats}'s address: its load for
 * {@code /api/nodes} and the dashboard, its members of a group for presence. A node that does not
 * answer within {@link #ASK_TIMEOUT_MS} (it is dying) gets a stand-in answer instead.
 */
public final class ClusterView {

  static final long ASK_TIMEOUT_MS = 2000;

  private final Vertx vertx;
  private final ClusterNodes nodes;

  public ClusterView(Vertx vertx, ClusterNodes nodes) {
    this.vertx = vertx;
    this.nodes = nodes;
  }

  /** Every node's {@link NodeStats#snapshot}; one that does not answer is listed from its metadata as not reachable. */
  public Future<List<JsonObject>> nodes() {
    return nodes.list().compose(list -> ask(list.stream().map(meta -> meta.getString("bus")).toList(), null,
        i -> new JsonObject()
            .put("id", list.get(i).getString("node"))
            .put("http", list.get(i).getString("http"))
            .put("roles", list.get(i).getJsonArray("roles"))
            .put("ready", false)
            .put("reachable", false))
        .map(answers -> {
          answers.stream().filter(a -> !a.containsKey("reachable")).forEach(a -> a.put("reachable", true));
          return answers;
        }));
  }

  /** Every node's answer to {@code query}, or {@code missing.apply(i)} for node i that did not answer, in order. */
  public <T> Future<List<T>> ask(Object query, IntFunction<T> missing) {
    return ask(nodes.busIds(), query, missing);
  }

  private <T> Future<List<T>> ask(List<String> busIds, Object query, IntFunction<T> missing) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MS);
    List<Future<T>> answers = new ArrayList<>();
    for (int i = 0; i < busIds.size(); i++) {
      int node = i;
      answers.add(vertx.eventBus().<T>request(NodeStats.address(busIds.get(i)), query, options)
          .map(Message::body)
          .otherwise(e -> missing.apply(node)));
    }
    return Future.all(answers).map(all -> {
      List<T> out = new ArrayList<>();
      answers.forEach(a -> out.add(a.result()));
      return out;
    });
  }
}
