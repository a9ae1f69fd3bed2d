package dev.groupcast.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench storm}: the rooms load with clients that behave as {@code groupcast.js} does when their
 * node dies ({@link StormSubscriber}, {@link StormPublisher}), while something outside (the script
 * {@code src/bench/reconnect-storm.sh}) kills a node. It reports how long the dropped subscribers took
 * to resume ({@code joined} with {@code recovered:true}) counted from the first drop, the latency the
 * other clients saw meanwhile, and loss and duplicates over every acknowledged message.
 */
final class StormBench {

  /** How long deliveries may stall, once every publish is acknowledged, before the rest count as lost. */
  private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(5);
  /** How long past its publishing time the run waits at most for acks and deliveries. */
  private static final long OVERTIME_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final StormRun run;
  private final Progress progress;
  private final List<StormSubscriber> subscribers = new ArrayList<>();
  private final List<StormPublisher> publishers = new ArrayList<>();

  StormBench(Vertx vertx, WebSocketClient client, BenchOptions options, Progress progress) {
    this.run = new StormRun(vertx, client, options);
    this.progress = progress;
  }

  JsonObject run() throws Exception {
    BenchOptions options = run.options;
    try {
      progress.status("subscribing " + options.subscribers());
      for (int from = 0; from < options.subscribers(); from += 200) {
        List<Future<Void>> batch = new ArrayList<>();
        for (int i = from; i < Math.min(options.subscribers(), from + 200); i++) {
          StormSubscriber s = new StormSubscriber(run, i);
          subscribers.add(s);
          batch.add(s.start());
        }
        awaitAll(batch, "subscribers " + from + " and on joined");
      }
      for (int round = 1; round <= options.churn(); round++) {
        progress.status("warming up: every subscriber closes and resumes, " + round + " of " + options.churn());
        for (int from = 0; from < subscribers.size(); from += 200) {
          awaitAll(subscribers.subList(from, Math.min(subscribers.size(), from + 200)).stream()
              .map(StormClient::cycle).toList(), "subscribers " + from + " and on resumed");
        }
      }
      List<Future<Void>> connecting = new ArrayList<>();
      for (int p = 0; p < options.publishers(); p++) {
        StormPublisher publisher = new StormPublisher(run, p);
        publishers.add(publisher);
        connecting.add(publisher.start());
      }
      awaitAll(connecting, "publishers connected");
      progress.counters(() -> "publishing: acked " + run.acked.sum() + "/" + options.messages() + " delivered "
          + run.deliveries.sum() + " dropped " + subscribers.stream().filter(s -> s.droppedAt != 0).count()
          + " resumed " + subscribers.stream().filter(s -> s.resumedAt != 0).count());
      long start = System.nanoTime();
      run.lastProgressNanos.set(start);
      publishers.forEach(p -> p.publish(start));
      long deadline = start + options.duration().toNanos() + OVERTIME_NANOS;
      Promise<Void> done = Promise.promise();
      long check = run.vertx.setPeriodic(100, id -> {
        long now = System.nanoTime();
        boolean allAcked = run.acked.sum() >= options.messages();
        if (allAcked && now - run.lastProgressNanos.get() > SETTLE_NANOS || now > deadline) {
          done.tryComplete();
        }
      });
      done.future().await();
      run.vertx.cancelTimer(check);
      progress.stop();
      // every client closed before its counts are read: none is written to meanwhile
      List<Future<Void>> stopping = new ArrayList<>();
      subscribers.forEach(s -> stopping.add(s.stop()));
      publishers.forEach(p -> stopping.add(p.stop()));
      try {
        Future.all(stopping).await(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // a close handshake that never ended: its client has stopped anyway
      }
      return result();
    } finally {
      progress.stop();
      subscribers.forEach(StormClient::stop);
      publishers.forEach(StormClient::stop);
    }
  }

  private static void awaitAll(List<Future<Void>> futures, String what) throws Exception {
    try {
      Future.all(futures).await(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("not all " + what + " within 30 s");
    }
  }

  private JsonObject result() {
    BenchOptions options = run.options;
    long firstDrop = run.firstDropNanos.get();
    List<StormSubscriber> dropped = subscribers.stream().filter(s -> s.droppedAt != 0).toList();
    Latencies resume = new Latencies();
    Latencies reconnect = new Latencies();
    Latencies joinAnswer = new Latencies();
    long lastResume = firstDrop;
    int resumed = 0;
    for (StormSubscriber s : dropped) {
      if (s.resumedAt != 0) {
        resumed++;
        resume.record(s.resumedAt - firstDrop);
        reconnect.record(s.reopenedAt - s.droppedAt);
        joinAnswer.record(s.resumedAt - s.reopenedAt);
        lastResume = Math.max(lastResume, s.resumedAt);
      }
    }
    // the others: subscribers that never dropped, hearing publishers that never dropped, while the
    // dropped ones were away (from the first drop to the last resume, at least a second)
    long windowEnd = Math.max(lastResume, firstDrop + TimeUnit.SECONDS.toNanos(1));
    Latencies others = new Latencies();
    List<Latencies> othersBySecond = new ArrayList<>();
    for (long t = firstDrop; t < windowEnd; t += TimeUnit.SECONDS.toNanos(1)) {
      othersBySecond.add(new Latencies());
    }
    Latencies toGateway = new Latencies();
    Latencies fromGateway = new Latencies();
    if (firstDrop != 0) {
      subscribers.stream().filter(s -> s.droppedAt == 0)
          .forEach(s -> s.duringStorm(firstDrop, windowEnd, publishers, others, othersBySecond, toGateway, fromGateway));
    }
    JsonArray bySecond = new JsonArray();
    othersBySecond.forEach(l -> bySecond.add(l.toJson().put("deliveries", l.count())));
    long expected = 0;
    long got = 0;
    for (StormPublisher p : publishers) {
      for (int n = p.acks.nextSetBit(0); n >= 0; n = p.acks.nextSetBit(n + 1)) {
        int g = FanoutBench.groupOf(p.index, n, options.groups());
        for (int i = g; i < subscribers.size(); i += options.groups()) {
          expected++;
          if (subscribers.get(i).seen[p.index].get(n)) {
            got++;
          }
        }
      }
    }
    return new JsonObject()
        .put("scenario", "storm")
        .put("urls", options.urls().stream().map(URI::toString).toList())
        .put("subscribers", options.subscribers())
        .put("groups", options.groups())
        .put("publishers", options.publishers())
        .put("rate", options.rate())
        .put("messages", options.messages())
        .put("acked", run.acked.sum())
        .put("duplicateAcks", run.duplicateAcks.sum())
        .put("resent", run.resent.sum())
        .put("firstDropAtMs", firstDrop == 0 ? 0 : System.currentTimeMillis() - (System.nanoTime() - firstDrop) / 1_000_000)
        .put("dropped", dropped.size())
        .put("publishersDropped", publishers.stream().filter(p -> p.dropped).count())
        .put("resumed", resumed)
        .put("unrecovered", run.unrecovered.sum())
        .put("resets", run.resets.sum())
        .put("failedConnects", run.failedConnects.sum())
        .put("lastConnectFailure", run.lastConnectFailure)
        .put("resumeMs", resume.toJson())
        .put("reconnectMs", reconnect.toJson())
        .put("joinAnswerMs", joinAnswer.toJson())
        .put("othersDuringStormMs", others.toJson().put("deliveries", others.count()))
        .put("othersBySecondSentMs", bySecond)
        // the first second's deliveries in two legs, by the gateway's ts (one clock: same machine)
        .put("othersFirstSecondLegsMs", new JsonObject()
            .put("toGateway", toGateway.toJson().put("deliveries", toGateway.count()))
            .put("fromGateway", fromGateway.toJson().put("deliveries", fromGateway.count())))
        .put("expectedDeliveries", expected)
        .put("deliveries", got)
        .put("lost", expected - got)
        .put("duplicates", run.duplicates.sum())
        .put("latencyMs", run.latencies.toJson());
  }
}
