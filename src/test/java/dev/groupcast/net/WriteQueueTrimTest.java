package dev.groupcast.net;

import io.netty.util.internal.shaded.org.jctools.queues.MpscUnboundedArrayQueue;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.ext.web.Router;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Guards the reach into Vert.x internals: a Vert.x upgrade that moves the fields fails here. */
@ExtendWith(VertxExtension.class)
class WriteQueueTrimTest {

  /** Held to the end: Vert.x 5 closes an unreachable client, and its sockets with it (a GC came first once). */
  private io.vertx.core.http.WebSocketClient wsClient;

  @Test
  void anAcceptedWebSocketWritesThroughSmallQueuesAndStillDeliversUnderBackPressure(Vertx vertx, VertxTestContext test) {
    assertTrue(WriteQueueTrim.available(), "Vert.x internals moved: WriteQueueTrim needs updating");
    int messages = 2000; // enough to fill the socket and queue far past one small chunk
    Router router = Router.router(vertx);
    // through a router, as the gateway does: vertx-web hands out a wrapper around the WebSocket
    router.route("/ws").handler(rc -> {
      var request = rc.request();
      Object http = request.connection();
      request.toWebSocket().onSuccess(ws -> test.verify(() -> {
        assertNotNull(WriteQueueTrim.connectionOf(ws), "the WebSocket's connection behind the wrapper");
        Queue<?> before = WriteQueueTrim.queueOf(WriteQueueTrim.connectionOf(ws));
        WriteQueueTrim.trim(ws, http);
        Queue<?> wsQueue = WriteQueueTrim.queueOf(WriteQueueTrim.connectionOf(ws));
        Queue<?> httpQueue = WriteQueueTrim.queueOf(http);
        assertNotSame(before, wsQueue);
        assertTrue(wsQueue instanceof MpscUnboundedArrayQueue<?> && wsQueue.isEmpty());
        assertTrue(httpQueue instanceof MpscUnboundedArrayQueue<?> && httpQueue.isEmpty());
        // written from another thread, so every frame goes through the trimmed queue, chunk after chunk
        String big = "x".repeat(8192);
        new Thread(() -> {
          for (int i = 0; i < messages; i++) {
            ws.writeTextMessage(i + ":" + big);
          }
        }).start();
      }));
    });
    HttpServer server = vertx.createHttpServer().requestHandler(router);
    wsClient = vertx.createWebSocketClient();
    server.listen(0, "127.0.0.1").compose(s -> wsClient
            .connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(s.actualPort()).setURI("/ws")))
        .onComplete(test.succeeding(client -> {
          int[] next = {0};
          client.textMessageHandler(text -> test.verify(() -> {
            assertEquals(String.valueOf(next[0]), text.substring(0, text.indexOf(':')), "in order, none lost");
            if (++next[0] == messages) {
              test.completeNow();
            }
          }));
        }));
  }
}
