package dev.groupcast.group;

import dev.groupcast.group.log.Appended;
import dev.groupcast.group.log.Publication;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;

import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Sends a stored batch to the nodes with members of its group, and only to them: the append
 * returned the group's fan-out list, so one event-bus message goes to each of those nodes' feed
 * address ({@code gc.feed.<node>}), and this node's own feed gets the batch directly. Each message's
 * client frame is encoded here, once, for every node. Duplicates (a key seen before) are not sent again.
 */
final class FanOut {

  static final String FEED_PREFIX = "gc.feed.";

  private final Vertx vertx;
  private final String localBusId;
  /** The nodes in the cluster now: a fan-out list may still name one that left. */
  private final Supplier<Set<String>> members;
  private final Feeds local;
  private final DeliveryOptions options = new DeliveryOptions().setCodecName(FeedBatch.Codec.NAME);

  FanOut(Vertx vertx, String localBusId, Supplier<Set<String>> members, Feeds local) {
    this.vertx = vertx;
    this.localBusId = localBusId;
    this.members = members;
    this.local = local;
  }

  static String address(String busId) {
    return FEED_PREFIX + busId;
  }

  void send(String group, Appended a, List<Sequencer.Pending> batch) {
    int fresh = 0;
    for (int i = 0; i < a.size(); i++) {
      if (!a.duplicate(i)) {
        fresh++;
      }
    }
    if (fresh == 0 || a.subscribers().isEmpty()) {
      return;
    }
    long[] seqs = new long[fresh];
    long[] ts = new long[fresh];
    OutFrame[] frames = new OutFrame[fresh];
    for (int i = 0, j = 0; i < a.size(); i++) {
      if (a.duplicate(i)) {
        continue;
      }
      Publication p = batch.get(i).publication();
      seqs[j] = a.seq(i);
      ts[j] = p.ts();
      frames[j] = Frames.message(group, seqs[j], p.from(), p.body(), p.ts());
      j++;
    }
    FeedBatch feed = new FeedBatch(group, a.epoch(), seqs, ts, frames);
    Set<String> live = members.get();
    for (String node : a.subscribers()) {
      if (node.equals(localBusId)) {
        local.onBatch(feed);
      } else if (live.contains(node)) {
        vertx.eventBus().send(address(node), feed, options);
      }
    }
  }
}
