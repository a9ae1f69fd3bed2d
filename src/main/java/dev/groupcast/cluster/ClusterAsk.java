package dev.groupcast.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Asks every node in parallel over the event bus, each on an address of its own (derived from its
 * event-bus node id), and collects the answers in node order. A node that does not answer within
 * {@link #TIMEOUT_MS} (it is dying) gets a stand-in answer instead.
 */
public final class ClusterAsk {

  public static final long TIMEOUT_MS = 2000;

  private final Vertx vertx;
  private final ClusterNodes nodes;

  public ClusterAsk(Vertx vertx, ClusterNodes nodes) {
    this.vertx = vertx;
    this.nodes = nodes;
  }

  public ClusterNodes nodes() {
    return nodes;
  }

  /** Every node's answer to {@code query} on {@code address.apply(busId)}, or {@code missing.apply(i)} for node i. */
  public <T> Future<List<T>> everyNode(Function<String, String> address, Object query, IntFunction<T> missing) {
    return these(nodes.busIds(), address, query, missing);
  }

  /** The same for the nodes {@code busIds}, in that order. */
  public <T> Future<List<T>> these(List<String> busIds, Function<String, String> address, Object query,
                                   IntFunction<T> missing) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(TIMEOUT_MS);
    List<Future<T>> answers = new ArrayList<>();
    for (int i = 0; i < busIds.size(); i++) {
      int node = i;
      answers.add(vertx.eventBus().<T>request(address.apply(busIds.get(i)), query, options)
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
