package dev.groupcast.ops;

import dev.groupcast.cluster.ClusterAsk;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The cluster as {@code /api/nodes} and the dashboard show it: every node's {@link NodeStats#snapshot},
 * asked in parallel; one that does not answer is listed from its metadata as not reachable.
 */
public final class ClusterView {

  private final ClusterAsk ask;

  public ClusterView(ClusterAsk ask) {
    this.ask = ask;
  }

  public Future<List<JsonObject>> nodes() {
    return ask.nodes().list().compose(list -> ask.these(list.stream().map(meta -> meta.getString("bus")).toList(),
            NodeStats::address, null,
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
}
