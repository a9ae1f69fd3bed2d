package dev.groupcast.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

/** A protocol-v1 client over a plain WebSocket on {@code /ws}. */
public final class WsClient extends FrameClient {

  /** Held for the connection's lifetime: Vert.x 5 closes a client (and its connections) once unreachable. */
  private final WebSocketClient client;
  private final ClientWebSocket ws;

  private WsClient(WebSocketClient client) {
    this.client = client;
    // handlers set before the connection exists, so no window is left between the two (Vert.x also
    // holds frames for handlers set in the connect callback, but nothing here relies on that)
    this.ws = client.webSocket();
    ws.textMessageHandler(text -> onFrame(new JsonObject(text)));
    ws.closeHandler(v -> closed.tryComplete(ws.closeStatusCode()));
  }

  public static WsClient connect(Vertx vertx, int port) {
    return open(vertx, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws"));
  }

  public static WsClient open(Vertx vertx, WebSocketConnectOptions options) {
    return open(vertx, options, new WebSocketClientOptions());
  }

  public static WsClient open(Vertx vertx, WebSocketConnectOptions options, WebSocketClientOptions clientOptions) {
    WebSocketClient wsClient = vertx.createWebSocketClient(clientOptions
        .setMaxFrameSize(1 << 21).setMaxMessageSize(1 << 21));
    WsClient client = new WsClient(wsClient);
    Await.result(client.ws.connect(options));
    client.welcome = client.nextOfType("welcome");
    return client;
  }

  @Override
  protected Future<Void> write(String text) {
    return ws.writeTextMessage(text);
  }

  /** Stops reading: the client plays one that cannot keep up (no frames read, no pongs). */
  public void pause() {
    ws.pause();
  }

  public void resume() {
    ws.resume();
  }

  public boolean isClosed() {
    return ws.isClosed();
  }

  @Override
  public void close() {
    if (!ws.isClosed()) {
      Await.result(ws.close());
    }
    client.close();
  }
}
