package dev.groupcast.group;

import dev.groupcast.group.log.LogMessage;

import java.util.ArrayList;
import java.util.List;

/**
 * One session's membership of one group, confined to the session's event loop. While the session
 * catches up from history, what the group's feed hands it (messages and resets) waits here;
 * {@code lastSent} makes sure each seq reaches the client once, in order, whether it came from
 * history or live.
 */
final class Member {

  final Session session;
  final String group;
  private long lastSent;
  /** What arrived live while catching up: deliveries and resets, in order. */
  private List<Object> catchingUp;
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

  /** Forgets the client's claimed position; used when it lies beyond the group's history or in another epoch. */
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

  /** Consecutive messages: in one write if the client has none of them yet, the rest one by one. */
  void deliver(FrameRun run) {
    if (catchingUp == null && run.seq(0) > lastSent) {
      lastSent = run.lastSeq();
      session.send(run);
      return;
    }
    for (int i = 0; i < run.size(); i++) {
      deliver(run.seq(i), run.frame(i));
    }
  }

  /** The stream goes on from {@code seq} of {@code epoch}: the client is told, and nothing up to it follows. */
  void reset(String epoch, long seq) {
    if (catchingUp != null) {
      catchingUp.add(new Reset(epoch, seq));
      return;
    }
    lastSent = seq;
    session.send(Frames.reset(group, epoch, seq));
  }

  /** Sends what history returned, then what arrived live meanwhile, and switches to live delivery. */
  void replay(List<LogMessage> history) {
    List<Object> waiting = catchingUp;
    catchingUp = null;
    if (removed) {
      return;
    }
    for (LogMessage m : history) {
      if (m.seq() > lastSent) {
        lastSent = m.seq();
        session.send(Frames.message(group, m.seq(), m.from(), m.body(), m.ts()));
      }
    }
    if (waiting != null) {
      for (Object item : waiting) {
        if (item instanceof Delivery d) {
          deliver(d.seq, d.frame);
        } else if (item instanceof Reset r) {
          reset(r.epoch, r.seq);
        }
      }
    }
  }

  private record Delivery(long seq, OutFrame frame) {
  }

  private record Reset(String epoch, long seq) {
  }
}
