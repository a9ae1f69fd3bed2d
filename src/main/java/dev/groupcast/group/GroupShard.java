package dev.groupcast.group;

import dev.groupcast.ops.NodeMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;

/**
 * The groups whose name hashes to this shard, on one event loop: their publish queues
 * ({@link Sequencer}) and their feeds ({@link Feeds}). A group stays on its shard, so its order
 * holds; different groups run on different event loops, so every core works.
 */
final class GroupShard extends VerticleBase {

  /** How often every feed is checked against the cluster's log when nothing happened. */
  static final long CHECK_INTERVAL_MS = 5000;
  /** The periodic check takes one of this many slices of the feeds every CHECK_INTERVAL_MS / CHECK_SLICES. */
  static final int CHECK_SLICES = 10;
  /** After a change in the cluster (a node joined, left or merged back), checks this long after it. */
  static final long[] CHECKS_AFTER_CHANGE_MS = {1000, 3000, 6000, 10_000};

  private final GroupHub hub;
  Feeds feeds;
  Sequencer sequencer;

  GroupShard(GroupHub hub) {
    this.hub = hub;
  }

  @Override
  public Future<?> start() {
    NodeMetrics metrics = NodeMetrics.of(vertx);
    feeds = new Feeds(vertx, hub.store(), hub.localBusId(), metrics, hub::acked);
    sequencer = new Sequencer(hub.store(), hub.localBusId(), new FanOut(vertx, hub.localBusId(), hub::liveNodes, feeds), metrics,
        hub::departed, hub::acked);
    // every feed once per CHECK_INTERVAL_MS, a slice at a time
    int[] tick = {0};
    vertx.setPeriodic(CHECK_INTERVAL_MS / CHECK_SLICES, id -> feeds.checkSlice(tick[0]++ % CHECK_SLICES, CHECK_SLICES));
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    feeds.clear();
    return Future.succeededFuture();
  }

  /** Runs {@code action} on this shard's event loop. */
  void run(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  /** The cluster changed: check every feed soon, and a few times more while things settle. */
  void checkSoon() {
    run(() -> {
      for (long delay : CHECKS_AFTER_CHANGE_MS) {
        vertx.setTimer(delay, id -> feeds.checkAll());
      }
    });
  }
}
