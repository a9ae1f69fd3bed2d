package dev.groupcast.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;

import java.net.URI;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** What the clients of one {@code bench storm} run share: where and what to send, and the counts. */
final class StormRun {

  final Vertx vertx;
  final WebSocketClient client;
  final BenchOptions options;
  final String runId = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
  final String padding;
  /** Messages per publisher. */
  final int[] perPublisher;

  final Latencies latencies = new Latencies();
  final LongAdder deliveries = new LongAdder();
  final LongAdder duplicates = new LongAdder();
  final LongAdder acked = new LongAdder();
  final LongAdder duplicateAcks = new LongAdder();
  final LongAdder resent = new LongAdder();
  final LongAdder unrecovered = new LongAdder();
  final LongAdder resets = new LongAdder();
  final LongAdder failedConnects = new LongAdder();
  volatile String lastConnectFailure = "";
  final AtomicLong lastProgressNanos = new AtomicLong();
  /** When the first connection dropped (0: none yet): the storm's start, as near the kill as a client sees it. */
  final AtomicLong firstDropNanos = new AtomicLong();
  /** One instant on both clocks: a nanoTime here as wall-clock millis, to compare with the server's ts. */
  private final long wallAtStart = System.currentTimeMillis();
  private final long nanosAtStart = System.nanoTime();

  StormRun(Vertx vertx, WebSocketClient client, BenchOptions options) {
    this.vertx = vertx;
    this.client = client;
    this.options = options;
    this.padding = "x".repeat(Math.max(0, options.size() - 40));
    int count = options.publishers();
    perPublisher = new int[count];
    for (int p = 0; p < count; p++) {
      perPublisher[p] = options.messages() / count + (p < options.messages() % count ? 1 : 0);
    }
  }

  String group(int index) {
    return "storm-" + runId + "-" + index;
  }

  URI url(int index) {
    return options.urls().get(index % options.urls().size());
  }

  /** {@code nanos} (System.nanoTime) as wall-clock millis, as the server stamps a message's ts. */
  long wallMillis(long nanos) {
    return wallAtStart + (nanos - nanosAtStart) / 1_000_000;
  }

  void dropped(long nanos) {
    firstDropNanos.compareAndSet(0, nanos);
  }
}
