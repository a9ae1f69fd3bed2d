package dev.groupcast.support;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client that publishes, one message at a time, round-robin over some groups, each with a key of
 * its own, and keeps trying a message until it is acknowledged: an error ({@code unavailable},
 * {@code rate_limited}), no answer in time or a lost connection make it send the same message with
 * the same key again, as {@code groupcast.js} does. Every ack it got is kept: key to group and seq.
 * Runs on its own, on the test's Vert.x, until stopped.
 */
public final class KeyedPublisher {

  /** What the server answered a message's last try with. */
  public record Acked(String group, long seq, boolean duplicate) {
  }

  private static final long ANSWER_TIMEOUT_MS = 3000;
  private static final long RETRY_MS = 200;

  private final Vertx vertx;
  private final String host;
  private final int port;
  private final String name;
  private final List<String> groups;
  private final long intervalMs;
  private final WebSocketClient client;
  private final Map<String, Acked> acks = new ConcurrentHashMap<>();
  private final AtomicInteger attempts = new AtomicInteger();
  private final AtomicInteger errors = new AtomicInteger();
  private volatile boolean running = true;
  private WebSocket ws;
  private int n;
  private String pendingKey;
  private long pendingSentAt;
  private long timer = -1;

  public KeyedPublisher(Vertx vertx, String host, int port, String name, List<String> groups, long intervalMs) {
    this.vertx = vertx;
    this.host = host;
    this.port = port;
    this.name = name;
    this.groups = groups;
    this.intervalMs = intervalMs;
    this.client = vertx.createWebSocketClient();
  }

  public KeyedPublisher start() {
    vertx.runOnContext(v -> connect());
    return this;
  }

  /** Stops after the message in flight is answered (or not); returns the acks. */
  public Map<String, Acked> stop() {
    running = false;
    return acks;
  }

  public Map<String, Acked> acks() {
    return acks;
  }

  public int attempts() {
    return attempts.get();
  }

  public int errors() {
    return errors.get();
  }

  private void connect() {
    if (!running) {
      return;
    }
    client.connect(port, host, "/ws").onComplete(ar -> {
      if (ar.failed()) {
        vertx.setTimer(RETRY_MS, id -> connect());
        return;
      }
      ws = ar.result();
      ws.textMessageHandler(t -> onFrame(new JsonObject(t)));
      ws.closeHandler(v -> {
        ws = null;
        vertx.setTimer(RETRY_MS, id -> connect());
      });
      send();
    });
  }

  private void send() {
    if (!running || ws == null) {
      return;
    }
    if (pendingKey == null) {
      pendingKey = name + "-" + n;
    }
    String key = pendingKey;
    String group = groups.get(n % groups.size());
    attempts.incrementAndGet();
    pendingSentAt = System.currentTimeMillis();
    ws.writeTextMessage(new JsonObject().put("type", "publish").put("group", group).put("id", key).put("key", key)
        .put("body", new JsonObject().put("id", key).put("n", n)).encode());
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    timer = vertx.setTimer(ANSWER_TIMEOUT_MS, id -> {
      timer = -1;
      if (key.equals(pendingKey)) {
        send(); // no answer: the same message, the same key
      }
    });
  }

  private void onFrame(JsonObject f) {
    String id = f.getString("id");
    if (id == null || !id.equals(pendingKey)) {
      return;
    }
    if ("ack".equals(f.getString("type"))) {
      acks.putIfAbsent(id, new Acked(f.getString("group"), f.getLong("seq"), f.getBoolean("duplicate", false)));
      pendingKey = null;
      n++;
      long wait = Math.max(0, intervalMs - (System.currentTimeMillis() - pendingSentAt));
      vertx.setTimer(Math.max(1, wait), t -> send());
    } else if ("error".equals(f.getString("type"))) {
      errors.incrementAndGet();
      vertx.setTimer(RETRY_MS, t -> send());
    }
  }
}
