package dev.groupcast.group;

import dev.groupcast.cluster.ClusterAsk;
import dev.groupcast.cluster.ClusterNodes;
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
  /** Where each node answers a group name with its own members of that group. */
  static final String MEMBERS_PREFIX = "gc.members.";
  /** How members are listed: by join time, then session id. */
  static final Comparator<JsonObject> OLDEST_FIRST = Comparator.comparingLong((JsonObject m) -> m.getLong("joinedAt"))
      .thenComparing(m -> m.getString("session"));
  /** Internal: the event-bus node id of the member's node; never sent to clients. */
  static final String BUS = "bus";

  private final Vertx vertx;
  private final ClusterNodes nodes;
  private final ClusterAsk cluster;
  private final String nodeId;

  public Presence(Vertx vertx, ClusterAsk cluster, String nodeId) {
    this.vertx = vertx;
    this.nodes = cluster.nodes();
    this.cluster = cluster;
    this.nodeId = nodeId;
  }

  static String membersAddress(String busId) {
    return MEMBERS_PREFIX + busId;
  }

  /** Answers the other nodes' presence queries with this node's members, collected from every event loop. */
  public Future<Void> serve(List<LocalHub> locals) {
    return vertx.eventBus().<String>consumer(membersAddress(nodes.localBusId()), m -> {
      List<Future<List<JsonObject>>> perLoop = new ArrayList<>();
      locals.forEach(local -> perLoop.add(local.members(m.body())));
      Future.all(perLoop).onComplete(ar -> {
        if (ar.failed()) {
          m.fail(500, ar.cause().toString());
          return;
        }
        JsonArray out = new JsonArray();
        perLoop.forEach(f -> f.result().forEach(out::add));
        m.reply(out);
      });
    }).completion();
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
    return cluster.<JsonArray>everyNode(Presence::membersAddress, group, node -> new JsonArray())
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
