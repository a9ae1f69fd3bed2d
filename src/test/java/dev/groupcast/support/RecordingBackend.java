package dev.groupcast.support;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend for proxy tests that reports what reached it. HTTP requests are answered with
 * {@code {"backend","method","uri","headers","bodyBytes"}}; {@code /status/N} answers N with a body;
 * {@code /silent} never answers. A WebSocket on {@code /ws} first sends the same report, then echoes
 * every text message; {@code /ws?close} closes right after the report.
 */
public final class RecordingBackend implements AutoCloseable {

  public final String id;
  public final int port;
  private final HttpServer server;
  public final ConcurrentLinkedQueue<JsonObject> requests = new ConcurrentLinkedQueue<>();
  public final AtomicInteger openSockets = new AtomicInteger();
  public final AtomicInteger closedSockets = new AtomicInteger();
  /** Text frames taken in by {@code /ws?mute} sockets. */
  public final AtomicInteger received = new AtomicInteger();
  /** TCP connections accepted, and those closed since: tells a pooled connection reused from a new one. */
  public final AtomicInteger connections = new AtomicInteger();
  public final AtomicInteger closedConnections = new AtomicInteger();

  private RecordingBackend(String id, int port, HttpServer server) {
    this.id = id;
    this.port = port;
    this.server = server;
  }

  public static RecordingBackend start(Vertx vertx, String id) {
    int port = TestCluster.freePort();
    HttpServer server = vertx.createHttpServer(new HttpServerOptions()
        .setWebSocketSubProtocols(List.of("groupcast.v1")));
    RecordingBackend backend = new RecordingBackend(id, port, server);
    server.requestHandler(backend::handle);
    server.connectionHandler(c -> {
      backend.connections.incrementAndGet();
      c.closeHandler(v -> backend.closedConnections.incrementAndGet());
    });
    Await.result(server.listen(port, "127.0.0.1"));
    return backend;
  }

  private void handle(HttpServerRequest request) {
    JsonObject report = new JsonObject()
        .put("backend", id)
        .put("method", request.method().name())
        .put("uri", request.uri())
        .put("headers", headers(request.headers()));
    if (request.path().equals("/ws") && request.headers().contains(HttpHeaders.UPGRADE)) {
      requests.add(report);
      request.toWebSocket().onSuccess(ws -> onWebSocket(ws, report, request.query())).onFailure(e -> { });
      return;
    }
    if (request.path().equals("/silent")) {
      requests.add(report);
      return;
    }
    request.body().onSuccess(body -> {
      report.put("bodyBytes", body.length());
      requests.add(report);
      if (request.path().startsWith("/status/")) {
        int status = Integer.parseInt(request.path().substring("/status/".length()));
        request.response().setStatusCode(status).putHeader("X-Backend", id).end("status " + status + " from " + id);
        return;
      }
      request.response()
          .putHeader("X-Backend", id)
          .putHeader("Keep-Alive", "timeout=5")
          .putHeader("Connection", "X-Private")
          .putHeader("X-Private", "hop-by-hop, must not pass")
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(report.encode());
    });
  }

  private void onWebSocket(ServerWebSocket ws, JsonObject report, String query) {
    openSockets.incrementAndGet();
    ws.closeHandler(v -> closedSockets.incrementAndGet());
    ws.writeTextMessage(report.encode());
    if ("close".equals(query)) {
      ws.close();
      return;
    }
    if ("mute".equals(query)) {
      ws.textMessageHandler(text -> received.incrementAndGet()); // traffic one way only
      return;
    }
    ws.textMessageHandler(ws::writeTextMessage);
  }

  private static JsonObject headers(MultiMap headers) {
    JsonObject out = new JsonObject();
    for (Map.Entry<String, String> h : headers) {
      String name = h.getKey().toLowerCase();
      Object current = out.getValue(name);
      if (current == null) {
        out.put(name, h.getValue());
      } else if (current instanceof JsonArray arr) {
        arr.add(h.getValue());
      } else {
        out.put(name, new JsonArray().add(current).add(h.getValue()));
      }
    }
    return out;
  }

  public JsonObject lastRequest() {
    JsonObject last = null;
    for (JsonObject r : requests) {
      last = r;
    }
    return last;
  }

  @Override
  public void close() {
    Await.result(server.close().recover(e -> Future.succeededFuture()));
  }
}
