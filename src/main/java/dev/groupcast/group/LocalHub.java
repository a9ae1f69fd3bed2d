package dev.groupcast.group;

import dev.groupcast.group.log.LogMessage;
import dev.groupcast.group.log.Slice;
import dev.groupcast.ops.NodeMetrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The memberships of the sessions on one event loop. The {@link GroupHub} hands it each message once;
 * it writes the shared encoded frame to every local member. Everything here runs on its context.
 */
public final class LocalHub {

  private final ContextInternal context;
  private final GroupHub hub;
  private final NodeMetrics metrics;
  private final Map<String, LocalGroup> groups = new HashMap<>();
  private final Set<Session> sessions = new LinkedHashSet<>();

  public LocalHub(Context context, GroupHub hub) {
    this.context = (ContextInternal) context;
    this.hub = hub;
    this.metrics = NodeMetrics.of(context.owner());
  }

  ContextInternal context() {
    return context;
  }

  public GroupHub hub() {
    return hub;
  }

  public NodeMetrics metrics() {
    return metrics;
  }

  void opened(Session session) {
    sessions.add(session);
  }

  void closed(Session session) {
    sessions.remove(session);
  }

  /** Asks every session of this event loop to reconnect elsewhere (close 1012); completes when asked. */
  public Future<Void> closeAll(int code, String reason) {
    Promise<Void> done = context.promise();
    context.runOnContext(v -> {
      for (Session s : new ArrayList<>(sessions)) {
        s.close(code, reason);
      }
      done.complete();
    });
    return done.future();
  }

  /**
   * Adds the member to its group. Without {@code since} the member is live at once; with it, the
   * member catches up from history first (in {@code epoch}, when the client gave the one it knew) and
   * {@link Member#replay} must be called with the result.
   */
  Future<JoinResult> join(Member member, Long since, String epoch) {
    LocalGroup group = groups.get(member.group);
    if (group == null) {
      LocalGroup created = new LocalGroup(member.group);
      created.ready = hub.subscribe(member.group, this).map(boundary -> {
        created.epoch = boundary.epoch();
        created.lastSeq = boundary.lastSeq();
        return created;
      });
      groups.put(member.group, created);
      group = created;
    }
    LocalGroup g = group;
    g.pendingJoins++;
    return g.ready.transform(ar -> {
      g.pendingJoins--;
      if (ar.failed()) {
        groups.remove(g.name, g);
        return Future.failedFuture(ar.cause());
      }
      if (member.removed) {
        release(g);
        return Future.succeededFuture(new JoinResult(g.epoch, g.lastSeq, null, List.of(), null));
      }
      g.members.add(member);
      metrics.memberAdded();
      member.presence = hub.presence().describe(member.session.id(), member.session.user(), System.currentTimeMillis());
      hub.presence().joined(g.name, member.presence);
      if (member.presenceEvents && g.watchers++ == 0) {
        watch(g);
      }
      String liveEpoch = g.epoch;
      long liveFrom = g.lastSeq;
      if (since == null && !member.presenceEvents) {
        member.goLive(liveFrom);
        return Future.succeededFuture(new JoinResult(liveEpoch, liveFrom, null, List.of(), null));
      }
      // the answer waits for history or the group's members: live messages wait in the member meanwhile
      boolean sameEpoch = epoch == null || epoch.equals(liveEpoch);
      member.startCatchUp(since == null || !sameEpoch ? liveFrom : since);
      Future<Slice> read = since == null || !sameEpoch ? Future.succeededFuture()
          : hub.read(g.name, since, liveEpoch, liveFrom);
      Future<JsonArray> present = member.presenceEvents ? g.snapshot.map(v -> knownForClients(g)) : Future.succeededFuture();
      return Future.all(read, present)
          .map(all -> {
            if (since == null) {
              return new JoinResult(liveEpoch, liveFrom, null, List.of(), present.result());
            }
            Slice r = read.result();
            if (r == null || !liveEpoch.equals(r.epoch()) || since > r.lastSeq()) {
              // the client's position belongs to a stream this cluster no longer has: nothing of it is
              // replayed, and live traffic goes on from here rather than once seqs climb past `since`
              member.restartFrom(liveFrom);
              return new JoinResult(liveEpoch, Math.max(liveFrom, r == null ? 0 : r.lastSeq()), false, List.of(),
                  present.result());
            }
            return new JoinResult(liveEpoch, Math.max(r.lastSeq(), liveFrom), r.recovered(), r.messages(), present.result());
          })
          .onFailure(e -> leave(member));
    });
  }

  private static JsonArray knownForClients(LocalGroup g) {
    List<JsonObject> members = new ArrayList<>();
    if (g.known != null) {
      g.known.values().forEach(m -> members.add(Presence.forClients(m)));
    }
    members.sort(Presence.OLDEST_FIRST);
    return new JsonArray(new ArrayList<>(members));
  }

  void leave(Member member) {
    if (member.removed) {
      return;
    }
    member.removed = true;
    LocalGroup g = groups.get(member.group);
    if (g != null && g.members.remove(member)) {
      metrics.memberRemoved();
      hub.presence().left(g.name, member.presence);
      if (member.presenceEvents && --g.watchers == 0) {
        g.presenceEvents.unregister();
        g.presenceEvents = null;
        g.known = null;
      }
      release(g);
    }
  }

  /**
   * The first member here that wants presence events: follow the group's joins and leaves, and keep
   * who is in it (a snapshot, then the events) so the leaves of a node that dies can be announced.
   */
  private void watch(LocalGroup g) {
    Map<String, JsonObject> known = new HashMap<>();
    Set<String> departed = new HashSet<>();
    g.known = known;
    g.presenceEvents = context.owner().eventBus().<JsonObject>consumer(Presence.eventsAddress(g.name),
        m -> presenceEvent(g, m.body(), departed));
    g.snapshot = g.presenceEvents.completion()
        .compose(v -> hub.presence().membersAsKept(g.name))
        .map(members -> {
          members.forEach(m -> {
            JsonObject member = (JsonObject) m;
            if (g.known == known && !departed.contains(member.getString("session"))) {
              known.putIfAbsent(member.getString("session"), member); // an event may have come first
            }
          });
          return (Void) null;
        })
        .otherwise((Void) null);
  }

  /** A join or leave anywhere in the cluster, for the local members that asked for presence events. */
  private void presenceEvent(LocalGroup g, JsonObject event, Set<String> departed) {
    if (g.known == null) {
      return;
    }
    JsonObject member = event.getJsonObject("member");
    String session = member.getString("session");
    if ("join".equals(event.getString("event"))) {
      g.known.put(session, member);
    } else {
      g.known.remove(session);
      departed.add(session);
    }
    tellWatchers(g, event, session);
  }

  private void tellWatchers(LocalGroup g, JsonObject event, String about) {
    JsonObject forClients = event.copy().put("member", Presence.forClients(event.getJsonObject("member")));
    OutFrame frame = Frames.presenceEvent(forClients);
    for (Member m : g.members) {
      if (m.presenceEvents && !m.session.id().equals(about)) { // a member knows of its own join and leave
        m.session.send(frame);
      }
    }
  }

  /** A node left the cluster: its members of the groups watched here are announced as gone. */
  public void nodeGone(String busId) {
    context.runOnContext(v -> groups.values().forEach(g -> {
      if (g.known == null) {
        return;
      }
      List<JsonObject> gone = new ArrayList<>();
      g.known.values().removeIf(m -> busId.equals(m.getString(Presence.BUS)) && gone.add(m));
      gone.forEach(m -> tellWatchers(g, Presence.event("leave", g.name, m), m.getString("session")));
    }));
  }

  /** This event loop's members of {@code group}, as presence keeps them. */
  public Future<List<JsonObject>> members(String group) {
    Promise<List<JsonObject>> members = Promise.promise();
    context.runOnContext(v -> {
      List<JsonObject> out = new ArrayList<>();
      LocalGroup g = groups.get(group);
      if (g != null) {
        g.members.forEach(m -> out.add(m.presence));
      }
      members.complete(out);
    });
    return members.future();
  }

  /** Members per group on this event loop. */
  public Future<Map<String, Integer>> memberCounts() {
    Promise<Map<String, Integer>> counts = Promise.promise();
    context.runOnContext(v -> {
      Map<String, Integer> out = new HashMap<>();
      groups.forEach((name, g) -> out.put(name, g.members.size()));
      counts.complete(out);
    });
    return counts.future();
  }

  /** Called by the group's feed, from its own thread, once per message and event loop. */
  void deliver(String group, long seq, OutFrame frame) {
    context.execute(() -> {
      LocalGroup g = groups.get(group);
      if (g == null) {
        return;
      }
      g.lastSeq = seq;
      for (Member m : g.members) {
        m.deliver(seq, frame);
      }
      metrics.delivered(g.members.size());
    });
  }

  /** As {@link #deliver(String, long, OutFrame)}, for consecutive messages: one task, one write per member. */
  void deliver(String group, FrameRun run) {
    context.execute(() -> {
      LocalGroup g = groups.get(group);
      if (g == null) {
        return;
      }
      g.lastSeq = run.lastSeq();
      for (Member m : g.members) {
        m.deliver(run);
      }
      metrics.delivered(g.members.size() * run.size());
    });
  }

  /** The group's stream goes on from {@code seq} of {@code epoch} (a new epoch, or seqs that are gone). */
  void reset(String group, String epoch, long seq) {
    context.execute(() -> {
      LocalGroup g = groups.get(group);
      if (g == null) {
        return;
      }
      g.epoch = epoch;
      g.lastSeq = seq;
      for (Member m : g.members) {
        m.reset(epoch, seq);
      }
    });
  }

  private void release(LocalGroup g) {
    if (g.members.isEmpty() && g.pendingJoins == 0 && groups.remove(g.name, g)) {
      hub.unsubscribe(g.name, this);
    }
  }

  /**
   * The answer to a join: the group's epoch and latest seq, whether history held all that was asked,
   * and that history.
   */
  record JoinResult(String epoch, long latest, Boolean recovered, List<LogMessage> history, JsonArray members) {
  }

  private static final class LocalGroup {
    final String name;
    final Set<Member> members = new LinkedHashSet<>();
    Future<LocalGroup> ready;
    String epoch;
    long lastSeq;
    int pendingJoins;
    /** Members that asked for join and leave events, the consumer that brings them, and who is in the group. */
    int watchers;
    MessageConsumer<JsonObject> presenceEvents;
    Map<String, JsonObject> known;
    /** Completes once {@code known} holds the members the cluster reported when the group was first watched. */
    Future<Void> snapshot;

    LocalGroup(String name) {
      this.name = name;
    }
  }
}
