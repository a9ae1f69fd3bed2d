package dev.groupcast.bench;

import dev.groupcast.bench.BenchOptions.Protocol;
import dev.groupcast.net.WebSocketFrames;
import dev.groupcast.support.WebSocketAccept;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.NetServer;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Opening a bench connection to a Socket.IO server, played here by a raw server that answers the
 * upgrade by hand: engine.io's first packets may come in the same read as the 101 response, and an
 * open that gets no answer is made again by {@link BenchSocket#openPatiently}, as a Socket.IO
 * client reconnects, instead of stopping the whole comparison after 30 s.
 */
@ExtendWith(VertxExtension.class)
class BenchSocketTest {

  private static final Pattern KEY = Pattern.compile("(?i)sec-websocket-key:\\s*(\\S+)");
  private static final BenchSocket.Listener QUIET = new BenchSocket.Listener() { };

  @Test
  void aFrameSentWithTheUpgradeResponseIsNotLost(Vertx vertx) throws Exception {
    NetServer server = socketIoServer(vertx, new AtomicInteger(), 0);
    int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
    WebSocketClient client = vertx.createWebSocketClient();
    try {
      for (int i = 0; i < 20; i++) {
        BenchSocket socket = BenchSocket.open(vertx, client, URI.create("ws://127.0.0.1:" + port + "/"),
            Protocol.SOCKETIO, QUIET).await(5, TimeUnit.SECONDS);
        assertNotNull(socket.context(), "a ready socket knows its context");
        socket.close();
      }
    } finally {
      client.close();
      server.close();
    }
  }

  @Test
  void anOpenWithNoAnswerIsMadeAgainAndCounted(Vertx vertx) throws Exception {
    AtomicInteger connections = new AtomicInteger();
    NetServer server = socketIoServer(vertx, connections, 2); // the first 2 connections never get an answer
    int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
    WebSocketClient client = vertx.createWebSocketClient();
    try {
      long before = BenchSocket.reopenedSoFar();
      BenchSocket socket = BenchSocket.openPatiently(vertx, client, URI.create("ws://127.0.0.1:" + port + "/"),
          Protocol.SOCKETIO, QUIET, 300, 3).await(10, TimeUnit.SECONDS);
      assertNotNull(socket.context());
      assertEquals(2, BenchSocket.reopenedSoFar() - before, "two attempts abandoned and made again");
      assertEquals(3, connections.get());
      socket.close();
    } finally {
      client.close();
      server.close();
    }
  }

  @Test
  void anOpenFailsOnceEveryAttemptWentUnanswered(Vertx vertx) throws Exception {
    NetServer server = socketIoServer(vertx, new AtomicInteger(), Integer.MAX_VALUE);
    int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
    WebSocketClient client = vertx.createWebSocketClient();
    try {
      Future<BenchSocket> open = BenchSocket.openPatiently(vertx, client, URI.create("ws://127.0.0.1:" + port + "/"),
          Protocol.SOCKETIO, QUIET, 200, 2);
      Throwable failure = assertThrows(Exception.class, () -> open.await(10, TimeUnit.SECONDS));
      assertTrue(failure instanceof TimeoutException && failure.getMessage().contains("did not open within 200 ms"),
          failure.toString());
    } finally {
      client.close();
      server.close();
    }
  }

  /**
   * Answers a WebSocket upgrade with the 101 response, engine.io's open packet and the namespace's
   * connect in one write, except on its first {@code silentFirst} connections, which it never answers.
   */
  private static NetServer socketIoServer(Vertx vertx, AtomicInteger connections, int silentFirst) {
    return vertx.createNetServer().connectHandler(socket -> {
      if (connections.incrementAndGet() <= silentFirst) {
        return;
      }
      StringBuilder request = new StringBuilder();
      socket.handler(data -> {
        if (request.indexOf("\r\n\r\n") >= 0) {
          return; // the client's own frames ("40"): nothing to answer
        }
        request.append(data.toString(StandardCharsets.ISO_8859_1));
        Matcher key = KEY.matcher(request);
        if (request.indexOf("\r\n\r\n") < 0 || !key.find()) {
          return;
        }
        // the upgrade's answer, engine.io's open packet and the namespace's connect, in one write
        Buffer out = Buffer.buffer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + WebSocketAccept.of(key.group(1)) + "\r\n\r\n");
        out.appendBuffer(textFrame("0{\"sid\":\"s\",\"pingInterval\":25000,\"pingTimeout\":20000}"));
        out.appendBuffer(textFrame("40{\"sid\":\"n\"}"));
        socket.write(out);
      });
    });
  }

  /** A server's (unmasked) text frame, as the nodes build theirs. */
  private static Buffer textFrame(String text) {
    return BufferInternal.buffer(WebSocketFrames.text(Buffer.buffer(text), false));
  }
}
