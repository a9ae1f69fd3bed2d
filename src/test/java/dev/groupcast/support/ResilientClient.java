package dev.groupcast.support;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A client that behaves like {@code /groupcast.js}: connects through a proxy, re-joins its groups with
 * {@code since} = the last seq seen after every cut, drops what it has already seen, and publishes at a
 * fixed pace while connected. It records what it published and got acked, what it received (with
 * arrival times), duplicates, error frames and how long each reconnect took. All its state lives on
 * one Vert.x context; read the results after {@link #stop}.
 */
public final class ResilientClient {

  public final String name;
  private final Vertx vertx;
  private final Context context;
  private final WebSocketClient client;
  private final int port;
  private final List<String> groups;
  private final long publishEveryMs;

  private WebSocket ws;
  private boolean running = true;
  private boolean publishing = true;
  private int nextId;
  private long disconnectedAt = -1;
  private final Map<String, String> pendingAcks = new HashMap<>();
  private final Map<String, Long> lastSeq = new HashMap<>();
  private final Map<String, Long> firstSeq = new HashMap<>();

  // results
  public final Map<String, List<Long>> received = new HashMap<>();
  public final Map<String, List<Long>> arrivals = new HashMap<>();
  public final Map<String, TreeSet<Long>> acked = new HashMap<>();
  public int published;
  public int duplicates;
  public final List<JsonObject> errors = new ArrayList<>();
  public final List<Long> reconnectMs = new ArrayList<>();
  public final List<String> nodes = new ArrayList<>();

  public ResilientClient(Vertx vertx, String name, int proxyPort, List<String> groups, long publishEveryMs) {
    this.vertx = vertx;
    this.name = name;
    this.context = vertx.getOrCreateContext();
    this.client = vertx.createWebSocketClient();
    this.port = proxyPort;
    this.groups = groups;
    this.publishEveryMs = publishEveryMs;
    for (String g : groups) {
      received.put(g, new ArrayList<>());
      arrivals.put(g, new ArrayList<>());
      acked.put(g, new TreeSet<>());
    }
    context.runOnContext(v -> {
      connect();
      vertx.setPeriodic(publishEveryMs, id -> publishTick(id));
    });
  }

  private void connect() {
    if (!running) {
      return;
    }
    client.connect(port, "127.0.0.1", "/ws").onComplete(ar -> {
      if (ar.failed()) {
        vertx.setTimer(200, id -> connect());
        return;
      }
      ws = ar.result();
      ws.textMessageHandler(text -> onFrame(new JsonObject(text)));
      ws.closeHandler(v -> {
        ws = null;
        pendingAcks.clear(); // unanswered publishes may or may not have been accepted
        disconnectedAt = System.currentTimeMillis();
        if (running) {
          vertx.setTimer(100, id -> connect());
        }
      });
    });
  }

  private void onFrame(JsonObject f) {
    switch (f.getString("type")) {
      case "welcome" -> {
        nodes.add(f.getString("node"));
        if (disconnectedAt >= 0) {
          reconnectMs.add(System.currentTimeMillis() - disconnectedAt);
        }
        for (String g : groups) {
          JsonObject join = new JsonObject().put("type", "join").put("group", g).put("id", "join-" + g);
          if (lastSeq.containsKey(g)) {
            join.put("since", lastSeq.get(g));
          }
          ws.writeTextMessage(join.encode());
        }
      }
      case "joined" -> {
        String g = f.getString("group");
        if (!lastSeq.containsKey(g)) {
          lastSeq.put(g, f.getLong("seq"));
          firstSeq.put(g, f.getLong("seq"));
        }
      }
      case "message" -> {
        String g = f.getString("group");
        long seq = f.getLong("seq");
        if (seq <= lastSeq.getOrDefault(g, Long.MAX_VALUE)) {
          duplicates++;
          return;
        }
        lastSeq.put(g, seq);
        received.get(g).add(seq);
        arrivals.get(g).add(System.currentTimeMillis());
      }
      case "ack" -> {
        String g = pendingAcks.remove(f.getString("id"));
        if (g != null) {
          acked.get(g).add(f.getLong("seq"));
        }
      }
      case "error" -> {
        errors.add(f); // counted by the test; an answered publish is no longer waited for
        if (f.getValue("id") instanceof String id) {
          pendingAcks.remove(id);
        }
      }
      default -> {
      }
    }
  }

  private void publishTick(long timerId) {
    if (!running) {
      vertx.cancelTimer(timerId);
      return;
    }
    if (!publishing || ws == null || lastSeq.size() < groups.size()) {
      return;
    }
    String g = groups.get(nextId % groups.size());
    String id = name + "-" + nextId++;
    pendingAcks.put(id, g);
    published++;
    ws.writeTextMessage(new JsonObject().put("type", "publish").put("group", g).put("id", id)
        .put("body", new JsonObject().put("from", name).put("n", nextId)).encode());
  }

  /** The seq this client joined a group at: it must receive everything after it. */
  public long firstSeq(String group) {
    return call(() -> firstSeq.getOrDefault(group, -1L));
  }

  public long lastSeq(String group) {
    return call(() -> lastSeq.getOrDefault(group, -1L));
  }

  /** Publishes sent on the current connection and not answered yet. */
  public int unanswered() {
    return call(pendingAcks::size);
  }

  public boolean connected() {
    return call(() -> ws != null && lastSeq.size() == groups.size());
  }

  public void stopPublishing() {
    call(() -> publishing = false);
  }

  public void startPublishing() {
    call(() -> publishing = true);
  }

  public void stop() {
    call(() -> {
      running = false;
      if (ws != null) {
        ws.close();
      }
      return null;
    });
    client.close();
  }

  /** Runs on the client's context and waits for the result (test thread only). */
  public <T> T call(java.util.concurrent.Callable<T> action) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> {
      try {
        p.complete(action.call());
      } catch (Exception e) {
        p.fail(e);
      }
    });
    return Await.result(p.future());
  }
}
