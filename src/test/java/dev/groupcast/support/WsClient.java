package dev.groupcast.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

/** A protocol-v1 client over a plain WebSocket on {@code /ws}. */
public final class WsClient extends FrameClient {

  /** Held for the connection's lifetime: Vert.x 5 closes a client (and its connections) once unreachable. */
  private final WebSocketClient client;
  private final WebSocket ws;

  private WsClient(WebSocketClient client, WebSocket ws) {
    this.client = client;
    this.ws = ws;
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
    // handlers are set on the event loop as the connection opens, so the welcome frame cannot slip by
    WsClient client = Await.result(wsClient.connect(options).map(ws -> new WsClient(wsClient, ws)));
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
