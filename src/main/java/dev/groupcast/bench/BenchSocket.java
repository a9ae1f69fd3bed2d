package dev.groupcast.bench;

import dev.groupcast.bench.BenchOptions.Protocol;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * One bench connection speaking groupcast frames or Socket.IO's engine.io v4 text packets, reduced
 * to what the scenarios need: ready, join, publish, acks, refusals and message bodies. Callbacks run
 * on the connection's own event loop, and so must every call to it ({@link #context()}).
 */
final class BenchSocket {

  /** What a scenario hears from one connection. Ids are the bench's own request numbers. */
  interface Listener {
    default void ready(BenchSocket socket) {
    }

    default void acked(BenchSocket socket, long id) {
    }

    /** A join answered: the whole {@code joined} frame (epoch, seq, recovered). */
    default void joined(BenchSocket socket, long id, JsonObject frame) {
      acked(socket, id);
    }

    /** The member's stream restarted ({@code reset}: a new epoch). */
    default void reset(BenchSocket socket, JsonObject frame) {
    }

    default void refused(BenchSocket socket, long id, String code) {
    }

    /** A delivered message; the body is whatever text the publisher sent. */
    default void message(BenchSocket socket, String frame) {
    }

    default void closed(BenchSocket socket) {
    }
  }

  private final Protocol protocol;
  private final Listener listener;
  private volatile WebSocket ws;
  private Context context;
  private boolean ready;
  /** Set by {@link #abandon} (on a timer's thread), read on the connection's. */
  private volatile boolean abandoned;

  private BenchSocket(Protocol protocol, Listener listener) {
    this.protocol = protocol;
    this.listener = listener;
  }

  /** Connects; the future completes with the socket once the protocol is ready for joins and publishes. */
  static Future<BenchSocket> open(Vertx vertx, WebSocketClient client, URI url, Protocol protocol, Listener listener) {
    return new BenchSocket(protocol, listener).connect(vertx, client, url);
  }

  /**
   * {@link #open}, as a client library does it (socket.io-client's connect timeout, then a reconnect):
   * an attempt not ready within {@code attemptMs} is closed and made again, up to {@code attempts}
   * times, each counted by {@link #reopenedSoFar}. About one Socket.IO open in a hundred thousand
   * never got its answer (the cause is not known), and the whole comparison stopped on it after 30 s;
   * now that client reconnects, as it would in real life, and the run reports it.
   */
  static Future<BenchSocket> openPatiently(Vertx vertx, WebSocketClient client, URI url, Protocol protocol,
      Listener listener, long attemptMs, int attempts) {
    Promise<BenchSocket> result = Promise.promise();
    attempt(vertx, client, url, protocol, listener, attemptMs, attempts, result);
    return result.future();
  }

  /** How many attempts {@link #openPatiently} has abandoned and made again in this process. */
  static long reopenedSoFar() {
    return REOPENED.sum();
  }

  private static final LongAdder REOPENED = new LongAdder();

  private static void attempt(Vertx vertx, WebSocketClient client, URI url, Protocol protocol, Listener listener,
      long attemptMs, int attemptsLeft, Promise<BenchSocket> result) {
    BenchSocket socket = new BenchSocket(protocol, listener);
    Future<BenchSocket> ready = socket.connect(vertx, client, url);
    long timer = vertx.setTimer(attemptMs, id -> {
      if (ready.isComplete()) {
        return;
      }
      socket.abandon();
      if (attemptsLeft > 1) {
        REOPENED.increment();
        attempt(vertx, client, url, protocol, listener, attemptMs, attemptsLeft - 1, result);
      } else {
        result.tryFail(new TimeoutException(url + " did not open within " + attemptMs + " ms, on the last of its attempts"));
      }
    });
    ready.onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (socket.abandoned) {
        return;
      }
      if (ar.succeeded()) {
        result.tryComplete(socket);
      } else {
        result.tryFail(ar.cause());
      }
    });
  }

  private Future<BenchSocket> connect(Vertx vertx, WebSocketClient client, URI url) {
    Promise<BenchSocket> ready = Promise.promise();
    WebSocketConnectOptions options = new WebSocketConnectOptions().setAbsoluteURI(target(url, protocol).toString())
        .setAllowOriginHeader(false);
    client.connect(options).onComplete(ar -> {
      if (ar.failed()) {
        ready.tryFail(ar.cause());
        return;
      }
      ws = ar.result();
      if (abandoned) {
        ws.close();
        return;
      }
      context = vertx.getOrCreateContext();
      ws.textMessageHandler(text -> {
        if (!abandoned) {
          received(text, ready);
        }
      });
      ws.closeHandler(v -> {
        ready.tryFail("closed before it was ready");
        if (!abandoned) {
          listener.closed(this);
        }
      });
      ws.exceptionHandler(e -> { });
      if (protocol == Protocol.GROUPCAST) {
        becomeReady(ready);
      }
    });
    return ready.future();
  }

  /** Given up on by {@link #openPatiently}: closed if it connected, and silent from now on. */
  private void abandon() {
    abandoned = true;
    WebSocket connected = ws;
    if (connected != null) {
      connected.close();
    }
  }

  private static URI target(URI url, Protocol protocol) {
    if (protocol != Protocol.SOCKETIO) {
      return url;
    }
    String path = url.getPath() == null || url.getPath().isEmpty() || url.getPath().equals("/")
        ? "/socket.io/" : url.getPath();
    return URI.create(url.getScheme() + "://" + url.getAuthority() + path + "?EIO=4&transport=websocket");
  }

  Context context() {
    return context;
  }

  void join(String group, long id) {
    if (protocol == Protocol.GROUPCAST) {
      ws.writeTextMessage("{\"type\":\"join\",\"group\":\"" + group + "\",\"id\":\"" + id + "\"}");
    } else {
      ws.writeTextMessage("42" + id + "[\"join\",\"" + group + "\"]");
    }
  }

  /** {@code body} must be plain text without quotes or backslashes (the scenarios' bodies are). */
  void publish(String group, String body, long id) {
    if (protocol == Protocol.GROUPCAST) {
      ws.writeTextMessage("{\"type\":\"publish\",\"group\":\"" + group + "\",\"body\":\"" + body
          + "\",\"id\":\"" + id + "\"}");
    } else {
      ws.writeTextMessage("42" + id + "[\"publish\",\"" + group + "\",\"" + body + "\"]");
    }
  }

  /** A groupcast publish with an idempotency key: sent again with the same key, it is stored once. */
  void publish(String group, String body, long id, String key) {
    ws.writeTextMessage("{\"type\":\"publish\",\"group\":\"" + group + "\",\"body\":\"" + body
        + "\",\"id\":\"" + id + "\",\"key\":\"" + key + "\"}");
  }

  void send(String text) {
    ws.writeTextMessage(text);
  }

  Future<Void> close() {
    return ws == null ? Future.succeededFuture() : ws.close();
  }

  private void becomeReady(Promise<BenchSocket> promise) {
    if (abandoned) {
      return;
    }
    ready = true;
    listener.ready(this);
    promise.tryComplete(this);
  }

  private void received(String text, Promise<BenchSocket> promise) {
    if (protocol == Protocol.GROUPCAST) {
      receivedGroupcast(text);
    } else {
      receivedSocketIo(text, promise);
    }
  }

  private void receivedGroupcast(String text) {
    // the frames start with their type; parse fully only what is rare
    if (text.startsWith("{\"type\":\"message\"")) {
      listener.message(this, text);
      return;
    }
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (RuntimeException e) {
      return;
    }
    String type = frame.getString("type", "");
    Object id = frame.getValue("id");
    switch (type) {
      case "message" -> listener.message(this, text);
      case "ack" -> {
        if (id != null) {
          listener.acked(this, Long.parseLong(id.toString()));
        }
      }
      case "joined" -> {
        if (id != null) {
          listener.joined(this, Long.parseLong(id.toString()), frame);
        }
      }
      case "reset" -> listener.reset(this, frame);
      case "error" -> listener.refused(this, id == null ? -1 : Long.parseLong(id.toString()), frame.getString("code"));
      default -> { }
    }
  }

  private void receivedSocketIo(String text, Promise<BenchSocket> promise) {
    if (text.isEmpty()) {
      return;
    }
    switch (text.charAt(0)) {
      case '0' -> ws.writeTextMessage("40"); // engine.io open: connect the default namespace
      case '2' -> ws.writeTextMessage("3"); // engine.io ping
      case '4' -> {
        if (text.length() < 2) {
          return;
        }
        switch (text.charAt(1)) {
          case '0' -> {
            if (!ready) {
              becomeReady(promise);
            }
          }
          case '2' -> listener.message(this, text);
          case '3' -> {
            int bracket = text.indexOf('[');
            if (bracket > 2) {
              long id = Long.parseLong(text.substring(2, bracket));
              JsonArray args = new JsonArray(text.substring(bracket));
              Object answer = args.isEmpty() ? null : args.getValue(0);
              if (answer instanceof JsonObject o && o.getBoolean("ok", false)) {
                listener.acked(this, id);
              } else {
                listener.refused(this, id, String.valueOf(answer));
              }
            }
          }
          case '4' -> promise.tryFail("Socket.IO refused the connection: " + text);
          default -> { }
        }
      }
      default -> { }
    }
  }
}
