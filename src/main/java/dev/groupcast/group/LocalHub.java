package dev.groupcast.group;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;

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
  private final Map<String, LocalGroup> groups = new HashMap<>();
  private final Set<Session> sessions = new LinkedHashSet<>();

  public LocalHub(Context context, GroupHub hub) {
    this.context = (ContextInternal) context;
    this.hub = hub;
  }

  ContextInternal context() {
    return context;
  }

  public GroupHub hub() {
    return hub;
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
    return g.ready.transform(ar -> {
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

  void leave(Member member) {
    member.removed = true;
    LocalGroup g = groups.get(member.group);
    if (g != null && g.members.remove(member)) {
      release(g);
    }
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

    LocalGroup(String name) {
      this.name = name;
    }
  }
}
