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
  private WebSocket ws;
  private Context context;
  private boolean ready;

  private BenchSocket(Protocol protocol, Listener listener) {
    this.protocol = protocol;
    this.listener = listener;
  }

  /** Connects; the future completes with the socket once the protocol is ready for joins and publishes. */
  static Future<BenchSocket> open(Vertx vertx, WebSocketClient client, URI url, Protocol protocol, Listener listener) {
    BenchSocket socket = new BenchSocket(protocol, listener);
    Promise<BenchSocket> ready = Promise.promise();
    WebSocketConnectOptions options = new WebSocketConnectOptions().setAbsoluteURI(target(url, protocol).toString())
        .setAllowOriginHeader(false);
    client.connect(options).onComplete(ar -> {
      if (ar.failed()) {
        ready.tryFail(ar.cause());
        return;
      }
      socket.ws = ar.result();
      socket.context = vertx.getOrCreateContext();
      socket.ws.textMessageHandler(text -> socket.received(text, ready));
      socket.ws.closeHandler(v -> {
        ready.tryFail("closed before it was ready");
        listener.closed(socket);
      });
      socket.ws.exceptionHandler(e -> { });
      if (protocol == Protocol.GROUPCAST) {
        socket.becomeReady(ready);
      }
    });
    return ready.future();
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
