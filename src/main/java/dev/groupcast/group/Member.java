package dev.groupcast.group;

import java.util.ArrayList;
import java.util.List;

/**
 * One session's membership of one group, confined to the session's event loop. While the session
 * catches up from history, live messages wait here; {@code lastSent} makes sure each seq reaches the
 * client once, in order, whether it came from history or live.
 */
final class Member {

  final Session session;
  final String group;
  private long lastSent;
  private List<Delivery> catchingUp;
  boolean removed;
  /** Whether the client asked for join and leave events of this group. */
  boolean presenceEvents;
  /** How this membership was recorded for presence; null until it was. */
  io.vertx.core.json.JsonObject presence;
  /** Completes once the join's answer was sent; null before the join was asked. */
  io.vertx.core.Future<LocalHub.JoinResult> joining;

  Member(Session session, String group) {
    this.session = session;
    this.group = group;
  }

  void goLive(long lastSeq) {
    lastSent = lastSeq;
  }

  void startCatchUp(long since) {
    lastSent = since;
    catchingUp = new ArrayList<>();
  }

  /** Forgets the client's claimed position; used when it lies beyond the group's history. */
  void restartFrom(long lastSeq) {
    lastSent = lastSeq;
  }

  void deliver(long seq, OutFrame frame) {
    if (catchingUp != null) {
      catchingUp.add(new Delivery(seq, frame));
    } else if (seq > lastSent) {
      lastSent = seq;
      session.send(frame);
    }
  }

  /** Sends what history returned, then what arrived live meanwhile, and switches to live delivery. */
  void replay(List<GroupMessage> history) {
    List<Delivery> waiting = catchingUp;
    catchingUp = null;
    if (removed) {
      return;
    }
    for (GroupMessage m : history) {
      if (m.seq() > lastSent) {
        lastSent = m.seq();
        session.send(Frames.message(m));
      }
    }
    if (waiting != null) {
      for (Delivery d : waiting) {
        deliver(d.seq, d.frame);
      }
    }
  }

  private record Delivery(long seq, OutFrame frame) {
  }
}
