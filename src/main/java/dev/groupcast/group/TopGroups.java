package dev.groupcast.group;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * This node's busiest groups for {@code /api/nodes} and the dashboard: each group it follows with its
 * members here (from every event loop) and the messages fanned out here, by members then messages.
 */
public final class TopGroups {

  /** Groups a node reports: enough for a dashboard, bounded for a big node. */
  static final int LIMIT = 20;

  private final GroupHub hub;
  private final List<LocalHub> locals;

  public TopGroups(GroupHub hub, List<LocalHub> locals) {
    this.hub = hub;
    this.locals = locals;
  }

  public Future<JsonArray> get() {
    List<Future<Map<String, Integer>>> counts = new ArrayList<>();
    locals.forEach(local -> counts.add(local.memberCounts()));
    return Future.all(counts).compose(v -> hub.groupActivity()).map(activity -> {
      Map<String, Integer> members = new HashMap<>();
      counts.forEach(perLoop -> perLoop.result().forEach((group, n) -> members.merge(group, n, Integer::sum)));
      List<JsonObject> groups = new ArrayList<>();
      for (JsonObject a : activity) {
        groups.add(a.put("members", members.getOrDefault(a.getString("group"), 0)));
      }
      groups.sort(Comparator.comparingInt((JsonObject g) -> g.getInteger("members"))
          .thenComparingLong(g -> g.getLong("messages")).reversed());
      return new JsonArray(new ArrayList<>(groups.subList(0, Math.min(LIMIT, groups.size()))));
    });
  }
}
