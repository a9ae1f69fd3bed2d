package dev.groupcast.group;

import dev.groupcast.ops.NodeMetrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
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
   * member catches up from history first and {@link Member#replay} must be called with the result.
   */
  Future<JoinResult> join(Member member, Long since) {
    LocalGroup group = groups.get(member.group);
    if (group == null) {
      LocalGroup created = new LocalGroup(member.group);
      created.ready = hub.subscribe(member.group, this).map(boundary -> {
        created.lastSeq = boundary;
        return created;
      });
      groups.put(member.group, created);
      group = created;
    }
    LocalGroup g = group;
    g.pendingJoins++;
    // the membership is recorded cluster-wide before the member goes live, so whoever hears of the
    // join (its answer, a presence query, an event) finds it there
    return g.ready.transform(ar -> ar.failed() ? Future.<Void>failedFuture(ar.cause()) : announce(member))
        .transform(ar -> {
          g.pendingJoins--;
          if (ar.failed()) {
            groups.remove(g.name, g);
            return Future.failedFuture(ar.cause());
          }
          if (member.removed) {
            release(g);
            return Future.succeededFuture(new JoinResult(g.lastSeq, null, List.of()));
          }
          g.members.add(member);
          metrics.memberAdded();
          if (member.presenceEvents && g.presenceListeners++ == 0) {
            g.presenceEvents = context.owner().eventBus().<JsonObject>consumer(Presence.eventsAddress(g.name),
                m -> presenceEvent(g, m.body()));
          }
          if (since == null) {
            member.goLive(g.lastSeq);
            return Future.succeededFuture(new JoinResult(g.lastSeq, null, List.of()));
          }
          long liveFrom = g.lastSeq;
          member.startCatchUp(since);
          return hub.history().read(g.name, since)
              .map(read -> {
                if (since > read.latest()) {
                  // the client's position belongs to a history the cluster no longer has: deliver live
                  // traffic from here on rather than wait for seqs to climb past `since`
                  member.restartFrom(liveFrom);
                }
                return new JoinResult(Math.max(read.latest(), g.lastSeq), read.recovered(), read.messages());
              })
              .onFailure(e -> leave(member));
        });
  }

  private Future<Void> announce(Member member) {
    if (member.removed) {
      return Future.succeededFuture();
    }
    member.presence = hub.presence().describe(member.session.id(), member.session.user(), System.currentTimeMillis());
    return hub.presence().add(context, member.group, member.presence);
  }

  void leave(Member member) {
    if (member.removed) {
      return;
    }
    member.removed = true;
    if (member.presence != null) {
      hub.presence().remove(member.group, member.presence);
    }
    LocalGroup g = groups.get(member.group);
    if (g != null && g.members.remove(member)) {
      metrics.memberRemoved();
      if (member.presenceEvents && --g.presenceListeners == 0) {
        g.presenceEvents.unregister();
        g.presenceEvents = null;
      }
      release(g);
    }
  }

  /** A join or leave anywhere in the cluster, for the local members that asked for presence events. */
  private void presenceEvent(LocalGroup g, JsonObject event) {
    OutFrame frame = Frames.presenceEvent(event);
    String about = event.getJsonObject("member").getString("session");
    for (Member m : g.members) {
      if (m.presenceEvents && !m.session.id().equals(about)) { // a member knows of its own join and leave
        m.session.send(frame);
      }
    }
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

  /** Called by the hub, from its own thread, once per message and event loop. */
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

  private void release(LocalGroup g) {
    if (g.members.isEmpty() && g.pendingJoins == 0 && groups.remove(g.name, g)) {
      hub.unsubscribe(g.name, this);
    }
  }

  /** The answer to a join: the group's latest seq, whether history held all that was asked, and that history. */
  record JoinResult(long latest, Boolean recovered, List<GroupMessage> history) {
  }

  private static final class LocalGroup {
    final String name;
    final Set<Member> members = new LinkedHashSet<>();
    Future<LocalGroup> ready;
    long lastSeq;
    int pendingJoins;
    /** Members that asked for join and leave events, and the consumer that brings them. */
    int presenceListeners;
    MessageConsumer<JsonObject> presenceEvents;

    LocalGroup(String name) {
      this.name = name;
    }
  }
}
