package dev.groupcast.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code bench fanout} and {@code bench rooms}: subscribers spread over the URLs in groups, publishers
 * sending a fixed number of messages at a rate or as fast as acks allow. Each body names its publisher,
 * its number and when it was sent, so every subscriber counts what it got, what it got twice and how
 * late it came. Subscriber i is member k = i / G of group g = i mod G and connects to URL (g + k) mod U,
 * so the members of a group take the URLs in turn whatever G and U are; publisher p connects to URL
 * p mod U and sends its n-th message to group (p + n) mod G, so at any moment the publishers send to
 * different groups.
 */
final class FanoutBench {

  /** How long deliveries may stall once every publish is answered before the rest count as lost. */
  private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(5);
  private static final long RETRY_MS = 20;
  /**
   * One attempt to open a connection (ready for joins) may take this long before it is closed and
   * made again ({@link BenchSocket#openPatiently}), up to OPEN_ATTEMPTS times; the scenario waits
   * OPEN_WAIT_SECONDS for a socket opened and, for a subscriber, joined.
   */
  private static final long OPEN_ATTEMPT_MS = 8000;
  private static final int OPEN_ATTEMPTS = 3;
  private static final long OPEN_WAIT_SECONDS = 40;

  private final Vertx vertx;
  private final WebSocketClient client;
  private final BenchOptions options;
  private final Progress progress;
  private final String runId = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
  private final String padding;

  private final Latencies latencies = new Latencies();
  private final LongAdder deliveries = new LongAdder();
  private final LongAdder duplicates = new LongAdder();
  private final LongAdder published = new LongAdder();
  private final LongAdder acked = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder retried = new LongAdder();
  private final AtomicLong lastProgressNanos = new AtomicLong();
  private final AtomicLong lastDeliveryNanos = new AtomicLong();
  private int[] perPublisher;

  FanoutBench(Vertx vertx, WebSocketClient client, BenchOptions options, Progress progress) {
    this.vertx = vertx;
    this.client = client;
    this.options = options;
    this.progress = progress;
    this.padding = "x".repeat(Math.max(0, options.size() - 40));
  }

  private String group(int index) {
    return "bench-" + runId + "-" + index;
  }

  private URI url(int index) {
    return options.urls().get(index % options.urls().size());
  }

  /**
   * When publisher {@code index} of {@code publishers} sends its first message, each sending
   * {@code perSecond}: spread over one period. All starting together would send every message of a
   * light load in one burst per period (100 at once each second at 100 msg/s from 100 publishers).
   */
  static long startOffsetNanos(int index, int publishers, double perSecond) {
    return (long) (1e9 / perSecond * index / publishers);
  }

  /**
   * How many of its {@code count} messages a publisher sending {@code perSecond} has due
   * {@code elapsedNanos} after its start offset: the first at once, then one per period.
   */
  static int dueBy(long elapsedNanos, double perSecond, int count) {
    return elapsedNanos < 0 ? 0 : (int) Math.min(count, (long) (elapsedNanos / 1e9 * perSecond) + 1);
  }

  /** The URL index of subscriber {@code index}: the members of each group take the URLs in turn. */
  static int subscriberUrl(int index, int groups, int urls) {
    int group = index % groups;
    int member = index / groups;
    return (int) (((long) group + member) % urls);
  }

  /** The group that publisher {@code publisher} sends its message {@code number} to. */
  static int groupOf(int publisher, int number, int groups) {
    return (int) (((long) publisher + number) % groups);
  }

  JsonObject run() throws Exception {
    int publishers = options.publishers();
    perPublisher = new int[publishers];
    for (int p = 0; p < publishers; p++) {
      perPublisher[p] = options.messages() / publishers + (p < options.messages() % publishers ? 1 : 0);
    }
    long expected = 0;
    int[] members = new int[options.groups()];
    for (int i = 0; i < options.subscribers(); i++) {
      members[i % options.groups()]++;
    }
    for (int p = 0; p < publishers; p++) {
      for (int n = 0; n < perPublisher[p]; n++) {
        expected += members[groupOf(p, n, options.groups())];
      }
    }

    List<BenchSocket> sockets = new ArrayList<>();
    long reopenedBefore = BenchSocket.reopenedSoFar();
    try {
      progress.status("subscribing " + options.subscribers());
      for (int from = 0; from < options.subscribers(); from += 200) {
        List<Future<BenchSocket>> batch = new ArrayList<>();
        for (int i = from; i < Math.min(options.subscribers(), from + 200); i++) {
          batch.add(subscribe(i));
        }
        for (Future<BenchSocket> f : batch) {
          sockets.add(f.await(OPEN_WAIT_SECONDS, TimeUnit.SECONDS));
        }
      }
      List<Publisher> senders = new ArrayList<>();
      for (int p = 0; p < publishers; p++) {
        Publisher publisher = new Publisher(p, perPublisher[p]);
        senders.add(publisher);
        publisher.socket = BenchSocket.openPatiently(vertx, client, url(p), options.protocol(), publisher,
            OPEN_ATTEMPT_MS, OPEN_ATTEMPTS).await(OPEN_WAIT_SECONDS, TimeUnit.SECONDS);
        sockets.add(publisher.socket);
      }
      long expectedDeliveries = expected;
      progress.counters(() -> "published " + published.sum() + " acked " + acked.sum() + " delivered "
          + deliveries.sum() + "/" + expectedDeliveries + " p99 " + latencies.percentileMs(99) + " ms");
      ServerCpu serverCpu = new ServerCpu(options.serverPids());
      long start = System.nanoTime();
      lastProgressNanos.set(start);
      senders.forEach(s -> s.socket.context().runOnContext(v -> s.start(start)));
      long deadline = start + options.duration().toNanos();
      Promise<Void> done = Promise.promise();
      long check = vertx.setPeriodic(50, id -> {
        long now = System.nanoTime();
        boolean allAnswered = acked.sum() + refused.sum() >= options.messages();
        if (deliveries.sum() >= expectedDeliveries && allAnswered
            || allAnswered && now - lastProgressNanos.get() > SETTLE_NANOS
            || now > deadline) {
          done.tryComplete();
        }
      });
      done.future().await();
      long serverCpuMs = serverCpu.usedMs();
      vertx.cancelTimer(check);
      long end = Math.max(lastDeliveryNanos.get(), start + 1);
      double seconds = (end - start) / 1e9;
      long got = deliveries.sum();
      progress.stop();
      JsonObject result = new JsonObject()
          .put("scenario", options.scenario().name().toLowerCase(java.util.Locale.ROOT))
          .put("protocol", options.protocol().name().toLowerCase(java.util.Locale.ROOT))
          .put("urls", options.urls().stream().map(URI::toString).toList())
          .put("subscribers", options.subscribers())
          .put("groups", options.groups())
          .put("publishers", publishers)
          .put("rate", options.rate())
          .put("bytes", options.size())
          .put("published", published.sum())
          .put("acked", acked.sum())
          .put("refused", refused.sum())
          .put("retried", retried.sum())
          .put("reopened", BenchSocket.reopenedSoFar() - reopenedBefore)
          .put("expectedDeliveries", expectedDeliveries)
          .put("deliveries", got)
          .put("lost", expectedDeliveries - got)
          .put("duplicates", duplicates.sum())
          .put("deliveriesPerSec", Math.round(got / seconds))
          .put("elapsedMs", Math.round(seconds * 1000))
          .put("latencyMs", latencies.toJson());
      if (!options.serverPids().isEmpty()) {
        result.put("serverCpuMs", serverCpuMs).put("serverSystemCpuMs", serverCpu.systemMs());
      }
      return result;
    } finally {
      progress.stop();
      for (BenchSocket s : sockets) {
        s.close();
      }
    }
  }

  private Future<BenchSocket> subscribe(int index) {
    Subscriber subscriber = new Subscriber(perPublisher);
    String group = group(index % options.groups());
    Promise<BenchSocket> joined = Promise.promise();
    subscriber.onJoined = joined;
    URI url = options.urls().get(subscriberUrl(index, options.groups(), options.urls().size()));
    return BenchSocket.openPatiently(vertx, client, url, options.protocol(), subscriber, OPEN_ATTEMPT_MS, OPEN_ATTEMPTS)
        .compose(socket -> {
          socket.join(group, 0);
          return joined.future();
        });
  }

  /** Counts one subscriber's deliveries: one bit per (publisher, number) to see duplicates. */
  private final class Subscriber implements BenchSocket.Listener {
    private final BitSet[] seen;
    Promise<BenchSocket> onJoined;

    Subscriber(int[] perPublisher) {
      seen = new BitSet[perPublisher.length];
      for (int p = 0; p < perPublisher.length; p++) {
        seen[p] = new BitSet(perPublisher[p]);
      }
    }

    @Override
    public void acked(BenchSocket socket, long id) {
      onJoined.tryComplete(socket);
    }

    @Override
    public void refused(BenchSocket socket, long id, String code) {
      onJoined.tryFail("join refused: " + code);
    }

    @Override
    public void message(BenchSocket socket, String frame) {
      long now = System.nanoTime();
      BenchBody body = BenchBody.in(frame);
      if (body == null) {
        return;
      }
      int publisher = body.publisher();
      int number = body.number();
      long sent = body.sentNanos();
      if (publisher >= seen.length) {
        return;
      }
      if (seen[publisher].get(number)) {
        duplicates.increment();
        return;
      }
      seen[publisher].set(number);
      latencies.record(now - sent);
      deliveries.increment();
      lastProgressNanos.set(now);
      lastDeliveryNanos.accumulateAndGet(now, Math::max);
    }

    @Override
    public void closed(BenchSocket socket) {
      onJoined.tryFail("closed before joining");
    }
  }

  /** Sends its share of the messages, keeping a window of unacked ones or following the rate. */
  private final class Publisher implements BenchSocket.Listener {
    private final int index;
    private final int count;
    private BenchSocket socket;
    private int next;
    private int inFlight;
    private long start;

    Publisher(int index, int count) {
      this.index = index;
      this.count = count;
    }

    @Override
    public void ready(BenchSocket socket) {
      this.socket = socket;
    }

    void start(long startNanos) {
      start = startNanos;
      if (options.rate() == 0) {
        fillWindow();
      } else {
        double perSecond = (double) options.rate() / options.publishers();
        long offset = startOffsetNanos(index, options.publishers(), perSecond);
        vertx.setPeriodic(5, id -> {
          int due = dueBy(System.nanoTime() - start - offset, perSecond, count);
          while (next < due) {
            send(next++);
          }
          if (next >= count) {
            vertx.cancelTimer(id);
          }
        });
      }
    }

    private void fillWindow() {
      while (inFlight < options.inflight() && next < count) {
        inFlight++;
        send(next++);
      }
    }

    private void send(int number) {
      String body = BenchBody.text(index, number, System.nanoTime(), padding);
      socket.publish(group(groupOf(index, number, options.groups())), body, number);
      published.increment();
    }

    @Override
    public void acked(BenchSocket socket, long id) {
      acked.increment();
      lastProgressNanos.set(System.nanoTime());
      answered();
    }

    @Override
    public void refused(BenchSocket socket, long id, String code) {
      if ("rate_limited".equals(code) && id >= 0) {
        retried.increment();
        published.decrement();
        vertx.setTimer(RETRY_MS, t -> send((int) id)); // the server refused it: it was not accepted
        return;
      }
      refused.increment();
      answered();
    }

    private void answered() {
      if (options.rate() == 0) {
        inFlight--;
        fillWindow();
      }
    }
  }
}
