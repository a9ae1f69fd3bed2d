package dev.groupcast.group;

import dev.groupcast.cluster.ClusterNodes;
import dev.groupcast.ops.ClusterView;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Who is in which group, cluster-wide. Each node knows its own members (the {@link LocalHub}s hold
 * them); a presence query asks every node in parallel over the event bus, so a join costs no cluster
 * write and the members of a node that died vanish with it. Joins and leaves are published on
 * {@code gc.presence.<group>} for members that asked for presence events; the nodes that have such
 * members keep a view of the group and announce the leaves of a node that died.
 */
public final class Presence {

  static final String EVENTS_PREFIX = "gc.presence.";
  /** The request a node answers with its own members of a group: {@code {"members": G}}. */
  public static final String MEMBERS_QUERY = "members";
  /** How members are listed: by join time, then session id. */
  static final Comparator<JsonObject> OLDEST_FIRST = Comparator.comparingLong((JsonObject m) -> m.getLong("joinedAt"))
      .thenComparing(m -> m.getString("session"));
  /** Internal: the event-bus node id of the member's node; never sent to clients. */
  static final String BUS = "bus";

  private final Vertx vertx;
  private final ClusterNodes nodes;
  private final ClusterView cluster;
  private final String nodeId;

  public Presence(Vertx vertx, ClusterNodes nodes, String nodeId) {
    this.vertx = vertx;
    this.nodes = nodes;
    this.cluster = new ClusterView(vertx, nodes);
    this.nodeId = nodeId;
  }

  static String eventsAddress(String group) {
    return EVENTS_PREFIX + group;
  }

  /** The member as it is kept: what clients see ({@code session, user, node, joinedAt}) plus its node's bus id. */
  JsonObject describe(String session, String user, long joinedAt) {
    return new JsonObject().put("session", session).put("user", user).put("node", nodeId).put("joinedAt", joinedAt)
        .put(BUS, nodes.localBusId());
  }

  void joined(String group, JsonObject member) {
    vertx.eventBus().publish(eventsAddress(group), event("join", group, member));
  }

  void left(String group, JsonObject member) {
    vertx.eventBus().publish(eventsAddress(group), event("leave", group, member));
  }

  /**
   * Every member of {@code group} cluster-wide, oldest first, as clients see them. A node that does not
   * answer in time (it is dying) is left out.
   */
  public Future<JsonArray> members(String group) {
    return membersAsKept(group).map(all -> {
      JsonArray out = new JsonArray();
      all.forEach(m -> out.add(forClients((JsonObject) m)));
      return out;
    });
  }

  /** As {@link #members}, each with its node's bus id. */
  Future<JsonArray> membersAsKept(String group) {
    return cluster.<JsonArray>ask(new JsonObject().put(MEMBERS_QUERY, group), node -> new JsonArray())
        .map(perNode -> {
          List<JsonObject> members = new ArrayList<>();
          perNode.forEach(answer -> answer.forEach(m -> members.add((JsonObject) m)));
          members.sort(OLDEST_FIRST);
          return new JsonArray(new ArrayList<>(members));
        });
  }

  static JsonObject forClients(JsonObject member) {
    JsonObject m = member.copy();
    m.remove(BUS);
    return m;
  }

  static JsonObject event(String kind, String group, JsonObject member) {
    return new JsonObject().put("event", kind).put("group", group).put("member", member);
  }
}
