package dev.groupcast.group;

import dev.groupcast.error.ErrorCode;
import dev.groupcast.error.ProtocolException;
import dev.groupcast.group.log.Appended;
import dev.groupcast.group.log.GroupStore;
import dev.groupcast.group.log.Publication;
import dev.groupcast.ops.NodeMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The publishing side of one shard: publishes to a group queue here and go to the group's log in
 * batches, one append in flight per group, so one cluster round trip assigns consecutive seqs in the
 * order this node accepted them. Each stored batch is then fanned out ({@link FanOut}) and its
 * publishes acknowledged. Confined to the shard's event loop.
 */
final class Sequencer {

  private static final Logger log = LoggerFactory.getLogger(Sequencer.class);

  static final int MAX_BATCH = 256;
  static final int MAX_QUEUED_PER_GROUP = 10_000;

  private final GroupStore store;
  /** This node's event-bus id: the log remembers each node's last batches by it. */
  private final String origin;
  private final FanOut fanOut;
  private final NodeMetrics metrics;
  /** Nodes gone from the cluster, to drop from the groups' fan-out lists at their next append. */
  private final java.util.function.Supplier<List<String>> departed;
  private final java.util.function.ObjLongConsumer<String> acked;
  private final Map<String, PublishQueue> publishing = new HashMap<>();
  /** A batch never exceeds what the group's history holds, so it cannot overwrite itself. */
  private final int maxBatch;

  Sequencer(GroupStore store, String origin, FanOut fanOut, NodeMetrics metrics, java.util.function.Supplier<List<String>> departed,
            java.util.function.ObjLongConsumer<String> acked) {
    this.store = store;
    this.origin = origin;
    this.acked = acked;
    this.fanOut = fanOut;
    this.metrics = metrics;
    this.departed = departed;
    this.maxBatch = Math.min(MAX_BATCH, store.limits().size());
  }

  /** A publish accepted by this node, with its body already encoded. */
  record Pending(Publication publication, Promise<Ack> accepted) {
  }

  void enqueue(String group, Pending pending) {
    PublishQueue queue = publishing.computeIfAbsent(group, PublishQueue::new);
    if (queue.waiting.size() >= MAX_QUEUED_PER_GROUP) {
      pending.accepted.fail(new ProtocolException(ErrorCode.RATE_LIMITED,
          "too many publishes waiting for group " + group + "; retry later"));
      return;
    }
    queue.waiting.add(pending);
    appendNext(queue);
  }

  boolean idle() {
    return publishing.isEmpty();
  }

  private void appendNext(PublishQueue queue) {
    if (queue.inFlight || queue.waiting.isEmpty()) {
      return;
    }
    int n = Math.min(maxBatch, queue.waiting.size());
    List<Pending> batch = new ArrayList<>(n);
    List<Publication> publications = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Pending p = queue.waiting.poll();
      batch.add(p);
      publications.add(p.publication());
    }
    queue.inFlight = true;
    long batchId = ThreadLocalRandom.current().nextLong();
    Future<Appended> appended;
    try {
      appended = store.append(queue.group, origin, batchId, publications, queue.confirmed, departed.get());
    } catch (RuntimeException e) {
      appended = Future.failedFuture(e); // e.g. Hazelcast shutting down: fail the batch, keep the queue moving
    }
    appended.onComplete(ar -> {
      queue.inFlight = false;
      if (ar.succeeded()) {
        stored(queue, batch, ar.result());
      } else {
        log.debug("append to group {} failed: {}", queue.group, ar.cause().toString());
        ProtocolException e = ar.cause() instanceof ProtocolException pe ? pe
            : new ProtocolException(ErrorCode.UNAVAILABLE, "the cluster could not confirm the publish: publish it again with the same key");
        batch.forEach(p -> p.accepted.fail(e));
      }
      if (queue.waiting.isEmpty()) {
        publishing.remove(queue.group);
      } else {
        appendNext(queue);
      }
    });
  }

  private void stored(PublishQueue queue, List<Pending> batch, Appended a) {
    int fresh = 0;
    for (int i = 0; i < batch.size(); i++) {
      if (!a.duplicate(i)) {
        fresh++;
        queue.confirmed = Math.max(queue.confirmed, a.seq(i));
      }
    }
    acked.accept(queue.group, queue.confirmed);
    fanOut.send(queue.group, a, batch);
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).accepted.complete(new Ack(a.seq(i), a.duplicate(i), a.epoch()));
    }
    metrics.published(fresh);
  }

  private static final class PublishQueue {
    final String group;
    final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    boolean inFlight;
    /** The highest seq this node got acknowledged for the group (see the log's merge). */
    long confirmed;

    PublishQueue(String group) {
      this.group = group;
    }
  }
}
