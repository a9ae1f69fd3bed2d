package dev.groupcast.group;

import dev.groupcast.error.ErrorCode;
import dev.groupcast.group.log.GroupStore;
import dev.groupcast.group.log.LogMessage;
import dev.groupcast.group.log.Position;
import dev.groupcast.group.log.Slice;
import dev.groupcast.ops.NodeMetrics;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The delivery side of one shard: a {@link Feed} per group with members (or followers) on this node.
 * A feed subscribes the node to the group's fan-out in the cluster, puts what arrives back in seq
 * order (appends from different nodes cross on the wire), reads a missing seq from history when it
 * does not show up, and hands each message once to every local hub with members.
 *
 * <p>A member never skips a seq unannounced: what cannot be delivered (a new epoch, seqs trimmed or
 * lost with their replicas) becomes a reset to the position the stream goes on from. A periodic check
 * ({@link #checkAll}) compares every feed with the cluster's log, one call for all of them: it
 * re-subscribes a node the group lost (a heal, a merge), catches up what fan-out never brought, and
 * finds epochs that changed. All of it runs on the shard's event loop.
 */
final class Feeds {

  private static final Logger log = LoggerFactory.getLogger(Feeds.class);

  /** How long a missing seq may take to arrive before it is read from history. */
  static final long GAP_WAIT_MS = 200;
  /** A feed nobody uses any more stays subscribed this long: members that come back find it ready. */
  static final long UNUSED_KEEP_MS = 30_000;
  /** Batches a feed keeps while it checks with the cluster; older ones are read from history instead. */
  static final int HELD_MAX = 1024;

  private final Vertx vertx;
  private final GroupStore store;
  private final String busId;
  private final NodeMetrics metrics;
  private final long aheadWindow;
  private final Map<String, Feed> feeds = new HashMap<>();
  /** Tells the hub the highest acknowledged seq of a group that reached this node. */
  private final java.util.function.ObjLongConsumer<String> acked;
  private final DeliveryOptions toFollowers = new DeliveryOptions().setLocalOnly(true)
      .addHeader(GroupHub.SEQUENCED_HEADER, GroupHub.SEQUENCED_MARK);

  Feeds(Vertx vertx, GroupStore store, String busId, NodeMetrics metrics,
        java.util.function.ObjLongConsumer<String> acked) {
    this.vertx = vertx;
    this.acked = acked;
    this.store = store;
    this.busId = busId;
    this.metrics = metrics;
    // a batch may run ahead of the next seq by what crosses on the wire; past a whole history it is
    // either forged or already trimmed (then the feed resets anyway)
    this.aheadWindow = store.limits().size() + (long) Sequencer.MAX_BATCH;
  }

  /** Starts delivering {@code group} to {@code local}; {@code boundary} gets where the feed stands. */
  void subscribe(String group, LocalHub local, Promise<Boundary> boundary) {
    Feed f = feed(group);
    f.locals.add(local);
    used(f);
    if (f.ready) {
      boundary.complete(new Boundary(f.epoch, f.next - 1));
    } else {
      f.waiting.add(boundary);
    }
  }

  void unsubscribe(String group, LocalHub local) {
    Feed f = feeds.get(group);
    if (f != null && f.locals.remove(local)) {
      markUnused(f);
    }
  }

  /** A bridge client or server code listens on the group's address here. */
  void follow(String group) {
    Feed f = feed(group);
    f.followers++;
    used(f);
  }

  void unfollow(String group) {
    Feed f = feeds.get(group);
    if (f != null && f.followers > 0) {
      f.followers--;
      markUnused(f);
    }
  }

  private void used(Feed f) {
    if (f.unusedSince > 0) {
      check(f); // not checked while unused: it may have missed a change meanwhile
    }
    f.unusedSince = 0;
    if (!f.counted) {
      f.counted = true;
      metrics.groupOpened(); // the node's groups are those with members (or listeners) here
    }
  }

  private void markUnused(Feed f) {
    if (!f.inUse() && f.unusedSince == 0) {
      f.unusedSince = System.currentTimeMillis();
      if (f.counted) {
        f.counted = false;
        metrics.groupClosed();
      }
    }
  }

  private Feed feed(String group) {
    Feed f = feeds.get(group);
    if (f == null) {
      f = new Feed(group);
      feeds.put(group, f);
      resubscribe(f);
    }
    return f;
  }

  /**
   * Adds this node to the group's fan-out (creating the group's log if the cluster has none) and
   * learns where the stream stands; a feed that was ready reconciles with it.
   */
  private void resubscribe(Feed f) {
    f.checking = true;
    store.subscribe(f.group, busId, true).onComplete(ar -> {
      if (feeds.get(f.group) != f) {
        return;
      }
      f.checking = false;
      if (ar.failed()) {
        if (!f.ready) {
          f.waiting.forEach(p -> p.fail(ar.cause()));
          f.waiting.clear();
          close(f); // nothing depends on it yet: the joins failed and say why
        } else {
          log.debug("group {}: could not subscribe again: {}", f.group, ar.cause().toString());
        }
        return;
      }
      Position p = ar.result();
      if (!f.ready) {
        f.epoch = p.epoch();
        f.next = p.lastSeq() + 1;
        f.acked = p.lastSeq();
        f.ready = true;
        f.waiting.forEach(w -> w.complete(new Boundary(f.epoch, p.lastSeq())));
        f.waiting.clear();
        if (!f.inUse()) {
          markUnused(f);
        }
      } else {
        reconcile(f, p);
      }
      replayHeld(f);
    });
  }

  // ---------------------------------------------------------------- live messages

  /** A batch fanned out by the node that appended it (this one or another). */
  void onBatch(FeedBatch b) {
    String misfit = misfit(b);
    if (misfit != null) {
      reject(b, misfit);
      return;
    }
    Feed f = feeds.get(b.group);
    if (f == null) {
      return; // no longer followed here: the fan-out list catches up at the next append
    }
    if (!f.ready || f.checking) {
      if (f.held.size() >= HELD_MAX) {
        f.held.remove(0); // the oldest goes: the check under way reads what it missed from history
      }
      f.held.add(b);
      return;
    }
    if (b.epoch.equals(f.epoch) && b.seqs[0] > f.next + aheadWindow) {
      // far past anything this feed awaits: not buffered (a seq of 10^12 would keep it waiting
      // for ever); history says whether the group really is there, and a real gap ends in a reset
      reject(b, "seq " + b.seqs[0] + " far ahead of " + f.next);
      catchUp(f, b.seqs[0] - 1);
      return;
    }
    if (!b.epoch.equals(f.epoch)) {
      f.held.add(b); // a new epoch, or a straggler of an old one: the cluster's log says which
      resubscribe(f);
      return;
    }
    accept(f, b);
  }

  /** Why a batch cannot be part of any group's stream, or null: only the server makes batches. */
  private static String misfit(FeedBatch b) {
    if (b == null || !GroupNames.isValid(b.group) || b.epoch == null || b.epoch.isEmpty() || b.size() == 0
        || b.seqs.length != b.frames.length || b.ts.length != b.frames.length) {
      return "malformed";
    }
    long previous = 0;
    for (long seq : b.seqs) {
      if (seq <= previous) {
        return "seqs not increasing from 1";
      }
      previous = seq;
    }
    return null;
  }

  /** Dropped and counted with the node's errors ({@code groupcast_errors_total{code="forbidden"}}). */
  private void reject(FeedBatch b, String why) {
    metrics.error(ErrorCode.FORBIDDEN, "dropped a fan-out batch: " + why);
    log.warn("dropped a fan-out batch for group {}: {}", b == null ? null : b.group, why);
  }

  private void accept(Feed f, FeedBatch b) {
    if (b.size() > 0) {
      acked.accept(f.group, b.seqs[b.size() - 1]);
    }
    // what is next in line goes to the members together, after the loop: one write each
    FrameRun.Builder run = new FrameRun.Builder(b.size());
    for (int i = 0; i < b.size(); i++) {
      long seq = b.seqs[i];
      f.acked = Math.max(f.acked, seq);
      if (seq < f.next) {
        continue;
      }
      if (seq > f.next) {
        f.early.put(seq, new Feed.Early(b.frames[i], b.ts[i]));
      } else {
        dispatch(f, seq, b.frames[i], b.ts[i], run);
        drain(f, run);
      }
    }
    deliver(f, run);
    if (!f.early.isEmpty()) {
      armGapTimer(f);
    }
  }

  private void replayHeld(Feed f) {
    if (f.held.isEmpty() || f.checking) {
      return;
    }
    List<FeedBatch> held = new ArrayList<>(f.held);
    f.held.clear();
    for (FeedBatch b : held) {
      if (b.epoch.equals(f.epoch)) {
        accept(f, b);
      }
    }
  }

  /** Dispatches the buffered messages that are next in line. */
  private void drain(Feed f) {
    drain(f, null);
  }

  /** As {@link #drain(Feed)}; into {@code run} to be delivered with it, or at once if null. */
  private void drain(Feed f, FrameRun.Builder run) {
    while (!f.early.isEmpty()) {
      long first = f.early.firstKey();
      if (first < f.next) {
        f.early.pollFirstEntry();
      } else if (first == f.next) {
        Feed.Early e = f.early.pollFirstEntry().getValue();
        dispatch(f, first, e.frame(), e.ts(), run);
      } else {
        armGapTimer(f);
        return;
      }
    }
    if (f.gapTimer >= 0) {
      vertx.cancelTimer(f.gapTimer);
      f.gapTimer = -1;
    }
  }

  /** Hands a message to the members: at once, or with {@code run} if there is one. */
  private void dispatch(Feed f, long seq, OutFrame frame, long ts, FrameRun.Builder run) {
    f.next = seq + 1;
    f.lastDispatchAt = System.currentTimeMillis();
    f.dispatched++;
    metrics.fannedOut(f.lastDispatchAt - ts);
    if (run != null) {
      run.add(seq, frame);
    } else {
      for (LocalHub local : f.locals) {
        local.deliver(f.group, seq, frame);
      }
    }
    if (f.followers > 0) {
      JsonObject message = new JsonObject(frame.text());
      message.remove("type");
      vertx.eventBus().publish(GroupNames.address(f.group), message, toFollowers);
    }
  }

  /** The run collected, to each local hub: one task for all of it; a single message as before. */
  private void deliver(Feed f, FrameRun.Builder run) {
    if (run.size() == 1) {
      for (LocalHub local : f.locals) {
        local.deliver(f.group, run.seq(0), run.frame(0));
      }
    } else if (run.size() > 1) {
      FrameRun frames = run.build();
      for (LocalHub local : f.locals) {
        local.deliver(f.group, frames);
      }
    }
  }

  private void armGapTimer(Feed f) {
    if (f.gapTimer >= 0 || f.reading) {
      return;
    }
    f.gapTimer = vertx.setTimer(GAP_WAIT_MS, id -> {
      f.gapTimer = -1;
      if (feeds.get(f.group) == f && !f.early.isEmpty()) {
        catchUp(f, f.early.firstKey() - 1);
      }
    });
  }

  // ---------------------------------------------------------------- reading from history

  /** Reads the messages after the last dispatched one, up to {@code until}, from history. */
  private void catchUp(Feed f, long until) {
    if (f.reading) {
      f.readAgain = Math.max(f.readAgain, until);
      return;
    }
    if (until < f.next || f.checking) {
      return;
    }
    f.reading = true;
    store.read(f.group, f.next - 1, f.epoch, f.acked).onComplete(ar -> {
      f.reading = false;
      if (feeds.get(f.group) != f) {
        return;
      }
      if (ar.failed()) {
        log.debug("group {}: history read failed: {}", f.group, ar.cause().toString());
      } else {
        apply(f, ar.result(), until);
      }
      drain(f);
      long again = f.readAgain;
      f.readAgain = 0;
      if (again > 0) {
        catchUp(f, again);
      }
    });
  }

  private void apply(Feed f, Slice slice, long until) {
    if (slice.epoch() == null || !slice.epoch().equals(f.epoch)) {
      resubscribe(f); // the group's log is gone or restarted: the feed finds out where it stands
      return;
    }
    FrameRun.Builder run = new FrameRun.Builder(slice.messages().size());
    for (LogMessage m : slice.messages()) {
      if (m.seq() < f.next) {
        continue;
      }
      if (m.seq() > f.next) {
        // trimmed before this node could read them: the members are told, and go on from the latest
        // seq this read vouches for (reset's S is the group's latest), then live, like a resume
        // that could not recover; what the read holds beyond the gap is not replayed
        deliver(f, run); // what came before the gap, before the reset
        run = new FrameRun.Builder(0);
        lost(f, slice.withheld() ? slice.messages().get(slice.messages().size() - 1).seq() : slice.lastSeq());
        continue;
      }
      dispatch(f, m.seq(), Frames.message(f.group, m.seq(), m.from(), m.body(), m.ts()), m.ts(), run);
    }
    deliver(f, run);
    if (slice.withheld()) {
      // too recent to be read safely yet: they arrive live, or at the next read
      vertx.setTimer(GroupStore.YOUNG_MS, id -> {
        if (feeds.get(f.group) == f) {
          catchUp(f, until);
        }
      });
    } else if (until != Long.MAX_VALUE && f.next <= Math.min(until, slice.lastSeq())) {
      lost(f, Math.min(until, slice.lastSeq())); // no longer held: the members are told
    }
  }

  /** Seqs up to {@code seq} cannot be delivered: the members go on from there, told so. */
  private void lost(Feed f, long seq) {
    log.warn("group {}: messages {}..{} of epoch {} are gone before this node could deliver them",
        f.group, f.next, seq, f.epoch);
    f.next = seq + 1;
    f.early.headMap(f.next).clear();
    for (LocalHub local : f.locals) {
      local.reset(f.group, f.epoch, seq);
    }
  }

  // ---------------------------------------------------------------- checking with the cluster

  /** Compares the feed with the cluster's log of its group. */
  private void reconcile(Feed f, Position p) {
    if (p.epoch() == null) {
      resubscribe(f); // the group's state is gone (freed, or lost with its replicas): it starts anew
    } else if (!p.epoch().equals(f.epoch)) {
      newEpoch(f, p);
    } else {
      if (!p.subscribed()) {
        resubscribe(f); // dropped from the fan-out while this node was cut off or presumed gone
      }
      if (p.lastSeq() >= f.next) {
        catchUp(f, p.lastSeq());
      }
    }
  }

  /**
   * The group's stream restarted: the members go on from the new epoch. From its first message that
   * reached this node, if one is held, else from its latest seq.
   */
  private void newEpoch(Feed f, Position p) {
    long from = p.lastSeq();
    for (FeedBatch b : f.held) {
      if (b.epoch.equals(p.epoch()) && b.size() > 0) {
        from = Math.min(from, b.seqs[0] - 1);
      }
    }
    log.info("group {}: epoch {} replaces {} on this node (from seq {})", f.group, p.epoch(), f.epoch, from);
    f.epoch = p.epoch();
    f.next = from + 1;
    f.acked = from;
    f.early.clear();
    for (LocalHub local : f.locals) {
      local.reset(f.group, f.epoch, from);
    }
    if (p.lastSeq() > from) {
      catchUp(f, p.lastSeq());
    }
  }

  /**
   * The periodic check of every feed against the cluster (one small read per group, on its
   * partition). Feeds nobody has used for a while go first.
   */
  void checkAll() {
    checkSlice(0, 1);
  }

  /**
   * Checks the feeds in use whose group falls in slice {@code slice} of {@code slices}: the periodic
   * check takes one slice a tick, so thousands of groups cost a steady trickle of calls rather than a
   * burst that would hold up every member's delivery behind it. A feed nobody uses is not checked:
   * it is checked again the moment it is used.
   */
  void checkSlice(int slice, int slices) {
    closeUnused();
    for (Feed f : new ArrayList<>(feeds.values())) {
      if (f.inUse() && Math.floorMod(f.group.hashCode(), slices) == slice) {
        check(f);
      }
    }
  }

  private void check(Feed f) {
    if (!f.ready || f.checking || f.positioning) {
      return;
    }
    f.positioning = true;
    store.position(f.group, busId).onComplete(ar -> {
      f.positioning = false;
      if (feeds.get(f.group) != f || !f.ready || f.checking) {
        return;
      }
      if (ar.failed()) {
        log.debug("group {}: position unavailable: {}", f.group, ar.cause().toString());
      } else {
        reconcile(f, ar.result());
      }
    });
  }

  private void closeUnused() {
    long before = System.currentTimeMillis() - UNUSED_KEEP_MS;
    for (Feed f : new ArrayList<>(feeds.values())) {
      if (!f.inUse() && f.unusedSince > 0 && f.unusedSince < before && f.ready) {
        close(f);
        store.subscribe(f.group, busId, false); // off the fan-out; a failure only costs it some messages
      }
    }
  }

  private void close(Feed f) {
    if (feeds.remove(f.group) == f && f.counted) {
      f.counted = false;
      metrics.groupClosed();
    }
    if (f.gapTimer >= 0) {
      vertx.cancelTimer(f.gapTimer);
    }
  }

  /** The groups this shard follows, with the messages fanned out here and when the last one was. */
  List<JsonObject> activity() {
    List<JsonObject> out = new ArrayList<>();
    feeds.values().forEach(f -> out.add(new JsonObject().put("group", f.group).put("messages", f.dispatched)
        .put("lastAt", f.lastDispatchAt)));
    return out;
  }

  /** Everything is undone: the node leaves. */
  void clear() {
    new ArrayList<>(feeds.values()).forEach(this::close);
  }
}
