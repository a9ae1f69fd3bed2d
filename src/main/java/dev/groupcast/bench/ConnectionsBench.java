package dev.groupcast.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code bench connections}: opens idle WebSocket connections, a bounded number of handshakes at a
 * time, and holds them for {@code --duration}, counting those the server drops meanwhile.
 */
final class ConnectionsBench {

  private static final int HANDSHAKES_AT_ONCE = 256;

  private final Vertx vertx;
  private final WebSocketClient client;
  private final BenchOptions options;
  private final Progress progress;
  private final AtomicInteger open = new AtomicInteger();
  private final LongAdder failed = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final Latencies handshakes = new Latencies();
  private volatile boolean closing;

  ConnectionsBench(Vertx vertx, WebSocketClient client, BenchOptions options, Progress progress) {
    this.vertx = vertx;
    this.client = client;
    this.options = options;
    this.progress = progress;
  }

  JsonObject run() throws Exception {
    List<WebSocket> sockets = new ArrayList<>();
    String firstFailure = null;
    try {
      progress.counters(() -> "open " + open.get() + "/" + options.connections() + " failed " + failed.sum()
          + " dropped " + dropped.sum());
      long openingStart = System.nanoTime();
      for (int from = 0; from < options.connections(); from += HANDSHAKES_AT_ONCE) {
        List<Future<WebSocket>> batch = new ArrayList<>();
        for (int i = from; i < Math.min(options.connections(), from + HANDSHAKES_AT_ONCE); i++) {
          URI url = options.urls().get(i % options.urls().size());
          long t0 = System.nanoTime();
          batch.add(client.connect(new WebSocketConnectOptions().setAbsoluteURI(url.toString())
              .setAllowOriginHeader(false)).onSuccess(ws -> {
                handshakes.record(System.nanoTime() - t0);
                open.incrementAndGet();
                ws.closeHandler(v -> {
                  open.decrementAndGet();
                  if (!closing) {
                    dropped.increment();
                  }
                });
              }));
        }
        for (Future<WebSocket> f : batch) {
          try {
            sockets.add(f.await(30, TimeUnit.SECONDS));
          } catch (Exception e) {
            failed.increment();
            if (firstFailure == null) {
              firstFailure = String.valueOf(e.getMessage());
            }
          }
        }
      }
      double openingSeconds = (System.nanoTime() - openingStart) / 1e9;
      Promise<Void> held = Promise.promise();
      vertx.setTimer(options.duration().toMillis(), id -> held.complete());
      held.future().await();
      JsonObject result = new JsonObject()
          .put("scenario", "connections")
          .put("urls", options.urls().stream().map(URI::toString).toList())
          .put("requested", options.connections())
          .put("opened", sockets.size())
          .put("failed", failed.sum())
          .put("droppedWhileHeld", dropped.sum())
          .put("openAtEnd", open.get())
          .put("openingSeconds", Math.round(openingSeconds * 100) / 100.0)
          .put("heldSeconds", options.duration().toSeconds())
          .put("handshakeMs", handshakes.toJson());
      if (firstFailure != null) {
        result.put("firstFailure", firstFailure);
      }
      return result;
    } finally {
      closing = true;
      progress.stop();
      sockets.forEach(WebSocket::close);
    }
  }
}
