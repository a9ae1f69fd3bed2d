package dev.groupcast.support;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A member of some groups that writes down everything it is told: for each group, the epoch it is
 * in (from {@code joined} and {@code reset}), every message by (epoch, seq), and the resets. A lost
 * connection is resumed, from where it was ({@code since}, {@code epoch}), as {@code groupcast.js}
 * does. It lets a test count what no member may ever see: two messages under one (epoch, seq).
 */
public final class Witness {

  private final Vertx vertx;
  private final String host;
  private final int port;
  private final List<String> groups;
  private final WebSocketClient client;
  /** group -> the epoch the member is in. */
  private final Map<String, String> epochs = new ConcurrentHashMap<>();
  /** group -> the last seq seen. */
  private final Map<String, Long> last = new ConcurrentHashMap<>();
  /** "group epoch seq" -> the message ids seen under it (more than one: a conflict). */
  private final Map<String, java.util.Set<String>> seen = new ConcurrentHashMap<>();
  /** group -> ids of the messages seen, in arrival order. */
  private final Map<String, List<String>> ids = new ConcurrentHashMap<>();
  private final Map<String, Integer> resets = new ConcurrentHashMap<>();
  private volatile boolean running = true;
  private volatile int reconnects;

  public Witness(Vertx vertx, String host, int port, List<String> groups) {
    this.vertx = vertx;
    this.host = host;
    this.port = port;
    this.groups = groups;
    this.client = vertx.createWebSocketClient();
  }

  /** Connects and joins every group; completes once all are joined. */
  public Witness start() {
    io.vertx.core.Promise<Void> joined = io.vertx.core.Promise.promise();
    vertx.runOnContext(v -> connect(joined));
    Await.result(joined.future(), 60);
    return this;
  }

  private void connect(io.vertx.core.Promise<Void> joined) {
    if (!running) {
      return;
    }
    client.connect(port, host, "/ws").onComplete(ar -> {
      if (ar.failed()) {
        vertx.setTimer(200, id -> connect(joined));
        return;
      }
      WebSocket ws = ar.result();
      Map<String, Boolean> pending = new HashMap<>();
      groups.forEach(g -> pending.put(g, true));
      ws.textMessageHandler(t -> {
        JsonObject f = new JsonObject(t);
        String type = f.getString("type");
        String group = f.getString("group");
        if ("joined".equals(type)) {
          epochs.put(group, f.getString("epoch"));
          if (!Boolean.TRUE.equals(f.getBoolean("recovered", true))) {
            last.put(group, f.getLong("seq")); // nothing of the old stream is replayed: live from here
          } else {
            last.putIfAbsent(group, f.getLong("seq"));
          }
          pending.remove(group);
          if (pending.isEmpty() && joined != null) {
            joined.tryComplete();
          }
        } else if ("message".equals(type)) {
          long seq = f.getLong("seq");
          String id = f.getJsonObject("body") != null ? f.getJsonObject("body").getString("id") : String.valueOf(f.getValue("body"));
          seen.computeIfAbsent(group + " " + epochs.get(group) + " " + seq, k -> ConcurrentHashMap.newKeySet()).add(id);
          ids.computeIfAbsent(group, k -> java.util.Collections.synchronizedList(new java.util.ArrayList<>())).add(id);
          last.merge(group, seq, Math::max);
        } else if ("reset".equals(type)) {
          epochs.put(group, f.getString("epoch"));
          last.put(group, f.getLong("seq"));
          resets.merge(group, 1, Integer::sum);
        }
      });
      ws.closeHandler(v -> {
        if (running) {
          reconnects++;
          vertx.setTimer(200, id -> connect(null));
        }
      });
      for (String g : groups) {
        JsonObject join = new JsonObject().put("type", "join").put("group", g);
        if (last.containsKey(g)) {
          join.put("since", last.get(g)).put("epoch", epochs.get(g));
        }
        ws.writeTextMessage(join.encode());
      }
    });
  }

  public void stop() {
    running = false;
  }

  /** (epoch, seq) pairs of any group under which this member saw more than one message. */
  public long conflicts() {
    return seen.values().stream().filter(s -> s.size() > 1).count();
  }

  /** The ids of the messages this member got in {@code group}, in order. */
  public List<String> ids(String group) {
    return ids.getOrDefault(group, List.of());
  }

  public boolean got(String group, String id) {
    return ids(group).contains(id);
  }

  public int resets() {
    return resets.values().stream().mapToInt(Integer::intValue).sum();
  }

  public int resetsOf(String group) {
    return resets.getOrDefault(group, 0);
  }

  /** The epoch the member is in for {@code group}. */
  public String epoch(String group) {
    return epochs.get(group);
  }

  public int reconnects() {
    return reconnects;
  }

  /** "group epoch seq" -> ids, for comparing what members saw. */
  public Map<String, java.util.Set<String>> seen() {
    return seen;
  }
}
