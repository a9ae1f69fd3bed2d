package dev.groupcast.group;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * Who is in which group, cluster-wide: one entry per membership in the Hazelcast map
 * {@value #MAP} (indexed by group), written by the member's node. Joins and leaves are also
 * published on {@code gc.presence.<group>} for members that asked for presence events. When a node
 * dies, the oldest surviving node removes its entries and announces those leaves.
 */
public final class Presence {

  private static final Logger log = LoggerFactory.getLogger(Presence.class);
  public static final String MAP = "gc.presence";
  static final String EVENTS_PREFIX = "gc.presence.";

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private IMap<String, HazelcastJsonValue> map;
  private final String nodeId;

  public Presence(Vertx vertx, HazelcastInstance hazelcast, String nodeId) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.nodeId = nodeId;
  }

  /** Taken on first use: creating the proxy costs a start time that no client waits for yet. */
  private IMap<String, HazelcastJsonValue> map() {
    IMap<String, HazelcastJsonValue> m = map;
    if (m == null) {
      m = hazelcast.getMap(MAP);
      map = m;
    }
    return m;
  }

  static String eventsAddress(String group) {
    return EVENTS_PREFIX + group;
  }

  /** The member as clients see it: {@code {"session","user","node","joinedAt"}}. */
  JsonObject describe(String session, String user, long joinedAt) {
    return new JsonObject().put("session", session).put("user", user).put("node", nodeId).put("joinedAt", joinedAt);
  }

  /** Records a membership and announces it; completes on {@code context}, never fails (a failure is logged). */
  Future<Void> add(Context context, String group, JsonObject member) {
    JsonObject stored = member.copy().put("group", group)
        .put("member", hazelcast.getCluster().getLocalMember().getUuid().toString());
    return Future.fromCompletionStage(map().setAsync(key(group, member), new HazelcastJsonValue(stored.encode())), context)
        .onSuccess(v -> vertx.eventBus().publish(eventsAddress(group), event("join", group, member)))
        .otherwise(e -> {
          log.warn("presence of {} in {} not recorded: {}", member.getString("session"), group, e.toString());
          return null;
        });
  }

  void remove(String group, JsonObject member) {
    CompletionStage<HazelcastJsonValue> removal;
    try {
      removal = map().removeAsync(key(group, member));
    } catch (RuntimeException e) {
      // this node is leaving the cluster: the oldest survivor clears what it held
      log.debug("presence of {} in {} not removed: {}", member.getString("session"), group, e.toString());
      return;
    }
    removal.whenComplete((old, e) -> {
      if (e != null) {
        log.warn("presence of {} in {} not removed: {}", member.getString("session"), group, e.toString());
      } else if (old != null) {
        vertx.eventBus().publish(eventsAddress(group), event("leave", group, member));
      }
    });
  }

  /** Every member of {@code group} cluster-wide, oldest first. */
  public Future<JsonArray> members(String group) {
    return vertx.executeBlocking(() -> {
      List<JsonObject> members = new ArrayList<>();
      for (HazelcastJsonValue v : map().values(Predicates.equal("group", group))) {
        members.add(forClients(new JsonObject(v.getValue())));
      }
      members.sort(Comparator.comparingLong((JsonObject m) -> m.getLong("joinedAt")).thenComparing(m -> m.getString("session")));
      return new JsonArray(new ArrayList<>(members));
    }, false);
  }

  /**
   * A Hazelcast member left: if this node is now the oldest, it removes the memberships that node
   * held and announces them as leaves (one node does it, so each leave is announced once).
   */
  public void memberGone(UUID member) {
    if (!hazelcast.getCluster().getMembers().iterator().next().localMember()) {
      return;
    }
    vertx.executeBlocking(() -> {
      int removed = 0;
      for (Map.Entry<String, HazelcastJsonValue> e : map().entrySet(Predicates.equal("member", member.toString()))) {
        if (map().remove(e.getKey()) != null) {
          JsonObject stored = new JsonObject(e.getValue().getValue());
          String group = stored.getString("group");
          vertx.eventBus().publish(eventsAddress(group), event("leave", group, forClients(stored)));
          removed++;
        }
      }
      return removed;
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        log.warn("memberships of departed member {} not cleared: {}", member, ar.cause().toString());
      } else if (ar.result() > 0) {
        log.info("cleared {} memberships of departed member {}", ar.result(), member);
      }
    });
  }

  private static JsonObject forClients(JsonObject stored) {
    JsonObject m = stored.copy();
    m.remove("group");
    m.remove("member");
    return m;
  }

  private static JsonObject event(String kind, String group, JsonObject member) {
    return new JsonObject().put("event", kind).put("group", group).put("member", member);
  }

  private static String key(String group, JsonObject member) {
    return group + '\n' + member.getString("session");
  }
}
