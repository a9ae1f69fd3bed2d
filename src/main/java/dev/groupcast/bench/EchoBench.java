package dev.groupcast.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code bench echo}: connections each keeping a window of messages in flight through an echo
 * server, the way the proxy comparison measures: round trips per second and their latency, after an
 * unmeasured warm-up.
 */
final class EchoBench {

  private final Vertx vertx;
  private final WebSocketClient client;
  private final BenchOptions options;
  private final Progress progress;
  private final Latencies latencies = new Latencies();
  private final LongAdder echoed = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private volatile boolean measuring;
  private volatile boolean stopping;

  EchoBench(Vertx vertx, WebSocketClient client, BenchOptions options, Progress progress) {
    this.vertx = vertx;
    this.client = client;
    this.options = options;
    this.progress = progress;
  }

  private void keepWindow(WebSocket ws, String payload) {
    ArrayDeque<Long> sent = new ArrayDeque<>();
    ws.exceptionHandler(e -> errors.increment());
    ws.closeHandler(v -> {
      if (!stopping) {
        errors.increment();
      }
    });
    ws.textMessageHandler(text -> {
      Long t0 = sent.poll();
      if (t0 == null) {
        return;
      }
      if (measuring) {
        latencies.record(System.nanoTime() - t0);
        echoed.increment();
      }
      if (!stopping) {
        sent.add(System.nanoTime());
        ws.writeTextMessage(payload);
      }
    });
    for (int i = 0; i < options.inflight(); i++) {
      sent.add(System.nanoTime());
      ws.writeTextMessage(payload);
    }
  }

  JsonObject run() throws Exception {
    String payload = "x".repeat(options.size());
    List<WebSocket> sockets = new ArrayList<>();
    try {
      progress.counters(() -> "echoed " + echoed.sum() + " p99 " + latencies.percentileMs(99) + " ms"
          + (measuring ? "" : " (warm-up)"));
      List<Future<WebSocket>> opening = new ArrayList<>();
      for (int i = 0; i < options.connections(); i++) {
        URI url = options.urls().get(i % options.urls().size());
        // the completion runs on the connection's event loop: its window lives there
        opening.add(client.connect(new WebSocketConnectOptions().setAbsoluteURI(url.toString())
            .setAllowOriginHeader(false)).onSuccess(ws -> keepWindow(ws, payload)));
      }
      for (Future<WebSocket> f : opening) {
        sockets.add(f.await(30, TimeUnit.SECONDS));
      }
      Promise<Void> warm = Promise.promise();
      vertx.setTimer(Math.max(1, options.warmup().toMillis()), id -> warm.complete());
      warm.future().await();
      measuring = true;
      long start = System.nanoTime();
      Promise<Void> measured = Promise.promise();
      vertx.setTimer(options.duration().toMillis(), id -> measured.complete());
      measured.future().await();
      measuring = false;
      stopping = true;
      double seconds = (System.nanoTime() - start) / 1e9;
      long count = echoed.sum();
      return new JsonObject()
          .put("scenario", "echo")
          .put("urls", options.urls().stream().map(URI::toString).toList())
          .put("connections", options.connections())
          .put("inflight", options.inflight())
          .put("bytes", options.size())
          .put("seconds", Math.round(seconds * 100) / 100.0)
          .put("messages", count)
          .put("msgsPerSec", Math.round(count / seconds))
          .put("errors", errors.sum())
          .put("latencyMs", latencies.toJson())
          .put("p99", latencies.percentileMs(99));
    } finally {
      stopping = true;
      progress.stop();
      sockets.forEach(WebSocket::close);
    }
  }
}
