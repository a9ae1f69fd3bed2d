package dev.groupcast.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A SockJS client speaking the raw SockJS protocol over one chosen transport, as a browser's SockJS
 * library would: {@code o} opens, {@code a[...]} carries messages, {@code h} is a heartbeat,
 * {@code c[code,reason]} closes. Each message is handed on as a JSON frame.
 */
public final class SockJsClient extends FrameClient {

  public enum Transport { WEBSOCKET, XHR_STREAMING, XHR_POLLING, EVENTSOURCE }

  private final int port;
  private final String base;
  private final Transport transport;
  private final HttpClient http;
  private final WebSocketClient wsClient;
  private final Promise<Void> opened = Promise.promise();
  private final java.util.concurrent.atomic.AtomicLong rawBytes = new java.util.concurrent.atomic.AtomicLong();
  private WebSocket ws;
  private final StringBuilder streamed = new StringBuilder();

  private final String query;

  private SockJsClient(Vertx vertx, int port, String prefix, Transport transport, String query) {
    this.port = port;
    this.query = query;
    this.base = prefix + "/" + ThreadLocalRandom.current().nextInt(1000) + "/"
        + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    this.transport = transport;
    this.http = vertx.createHttpClient();
    this.wsClient = vertx.createWebSocketClient();
  }

  /** Opens a session on {@code prefix} (e.g. {@code /sockjs}, {@code /eventbus}) and waits for {@code o}. */
  public static SockJsClient open(Vertx vertx, int port, String prefix, Transport transport) {
    return open(vertx, port, prefix, transport, "");
  }

  /** With a query string (e.g. {@code ?token=...}) on the session's requests. */
  public static SockJsClient open(Vertx vertx, int port, String prefix, Transport transport, String query) {
    SockJsClient c = new SockJsClient(vertx, port, prefix, transport, query);
    c.start();
    try {
      Await.result(c.opened.future());
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; no open frame on " + transport + ", received so far: '"
          + c.streamed + "' (" + c.rawBytes.get() + " bytes or characters)", e);
    }
    return c;
  }

  /** Opens a session on {@code /sockjs} and takes the v1 welcome. */
  public static SockJsClient v1(Vertx vertx, int port, Transport transport) {
    SockJsClient c = open(vertx, port, "/sockjs", transport);
    c.welcome = c.nextOfType("welcome");
    return c;
  }

  private void start() {
    switch (transport) {
      case WEBSOCKET -> {
        // handlers before the connection, as in WsClient: a server that refuses the session sends o, an
        // error and c right after the handshake's answer, then closes
        ClientWebSocket socket = wsClient.webSocket();
        ws = socket;
        socket.textMessageHandler(text -> {
          rawBytes.addAndGet(text.length());
          onSockJsFrame(text);
        });
        socket.closeHandler(v -> closed.tryComplete(socket.closeStatusCode()));
        socket.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
            .setURI(base + "/websocket" + query)).onFailure(opened::tryFail);
      }
      case XHR_STREAMING -> post(base + "/xhr_streaming", null).onComplete(ar -> {
        if (ar.failed()) {
          opened.tryFail(ar.cause());
          return;
        }
        HttpClientResponse response = ar.result();
        response.handler(this::onStreamChunk);
        response.endHandler(v -> closed.tryComplete((short) 1000));
      });
      case XHR_POLLING -> poll();
      case EVENTSOURCE -> http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
              .setPort(port).setURI(base + "/eventsource").setIdleTimeout(0))
          .compose(req -> req.send()).onComplete(ar -> {
            if (ar.failed()) {
              opened.tryFail(ar.cause());
              return;
            }
            ar.result().handler(this::onEventSourceChunk);
            ar.result().endHandler(v -> closed.tryComplete((short) 1000));
          });
    }
  }

  private void poll() {
    post(base + "/xhr", null).compose(HttpClientResponse::body).onComplete(ar -> {
      if (ar.failed()) {
        opened.tryFail(ar.cause());
        closed.tryComplete((short) 1006);
        return;
      }
      for (String line : ar.result().toString().split("\n")) {
        onSockJsFrame(line);
      }
      if (!closed.future().isComplete()) {
        poll();
      }
    });
  }

  private void onStreamChunk(Buffer chunk) {
    rawBytes.addAndGet(chunk.length());
    streamed.append(chunk.toString());
    int nl;
    while ((nl = streamed.indexOf("\n")) >= 0) {
      String line = streamed.substring(0, nl);
      streamed.delete(0, nl + 1);
      if (!line.isEmpty() && line.chars().allMatch(ch -> ch == 'h') && line.length() > 1) {
        continue; // the 2048-byte prelude
      }
      onSockJsFrame(line);
    }
  }

  /** Server-sent events: each SockJS frame is a {@code data: ...} event ended by a blank line. */
  private void onEventSourceChunk(Buffer chunk) {
    rawBytes.addAndGet(chunk.length());
    streamed.append(chunk.toString());
    int end;
    while ((end = streamed.indexOf("\r\n\r\n")) >= 0) {
      String event = streamed.substring(0, end).strip();
      streamed.delete(0, end + 4);
      if (event.startsWith("data: ")) {
        onSockJsFrame(event.substring("data: ".length()));
      }
    }
  }

  private void onSockJsFrame(String frame) {
    if (frame.isEmpty()) {
      return;
    }
    switch (frame.charAt(0)) {
      case 'o' -> opened.tryComplete();
      case 'a' -> {
        for (Object message : new JsonArray(frame.substring(1))) {
          onFrame(new JsonObject((String) message));
        }
      }
      case 'c' -> {
        JsonArray close = new JsonArray(frame.substring(1));
        closed.tryComplete(close.getInteger(0).shortValue());
      }
      default -> {
      }
    }
  }

  private Future<HttpClientResponse> post(String uri, Buffer body) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI(uri).setIdleTimeout(0);
    return http.request(options).compose(req -> body == null ? req.send() : req.send(body));
  }

  @Override
  protected Future<Void> write(String text) {
    String payload = new JsonArray().add(text).encode();
    if (transport == Transport.WEBSOCKET) {
      return ws.writeTextMessage(payload);
    }
    return post(base + "/xhr_send", Buffer.buffer(payload)).compose(r -> r.statusCode() == 204
        ? Future.succeededFuture()
        : Future.failedFuture("xhr_send answered " + r.statusCode()));
  }

  /** Bridge protocol: registers on an address. */
  public void register(String address) {
    send(new JsonObject().put("type", "register").put("address", address));
  }

  @Override
  public void close() {
    closed.tryComplete((short) 1000);
    if (ws != null && !ws.isClosed()) {
      ws.close();
    }
    http.close();
    wsClient.close();
  }
}
