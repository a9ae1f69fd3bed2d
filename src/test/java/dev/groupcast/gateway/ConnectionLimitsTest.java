package dev.groupcast.gateway;

import dev.groupcast.support.Await;
import dev.groupcast.support.TestCluster;
import dev.groupcast.support.WsClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-connection limits, slow consumers, keepalive and allowed origins, on one node set tight. */
@ExtendWith(VertxExtension.class)
class ConnectionLimitsTest {

  static TestCluster cluster;
  static int port;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(1, Map.ofEntries(
        Map.entry("GROUPCAST_LIMITS_PUBLISH_RATE", "5"),
        Map.entry("GROUPCAST_LIMITS_PUBLISH_BURST", "3"),
        Map.entry("GROUPCAST_LIMITS_GROUPS_PER_CONNECTION", "3"),
        Map.entry("GROUPCAST_LIMITS_SEND_QUEUE_BYTES", "65536"),
        Map.entry("GROUPCAST_WS_PING_INTERVAL", "200ms"),
        Map.entry("GROUPCAST_WS_PONG_TIMEOUT", "400ms"),
        Map.entry("GROUPCAST_HTTP_ALLOWED_ORIGINS", "https://judges.example"),
        Map.entry("GROUPCAST_LIMITS_CONNECTIONS_PER_IP", "12"),
        Map.entry("GROUPCAST_HTTP_HEADER_TIMEOUT", "600ms"),
        Map.entry("GROUPCAST_HTTP_TRUSTED_PROXIES", "127.0.0.1"),
        Map.entry("GROUPCAST_LIMITS_QUEUED_PUBLISH_BYTES", "65536")));
    port = cluster.httpPort(0);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void publishingFasterThanTheBucketIsRateLimitedAndRecovers(Vertx vertx) {
    try (WsClient c = WsClient.connect(vertx, port)) {
      List<Future<JsonObject>> answers = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String id = "p" + i;
        answers.add(c.expect(f -> id.equals(f.getValue("id"))));
        c.send(new JsonObject().put("type", "publish").put("group", "rate").put("body", i).put("id", id));
      }
      long started = System.nanoTime();
      List<JsonObject> got = answers.stream().map(Await::result).toList();
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      long acked = got.stream().filter(f -> "ack".equals(f.getString("type"))).count();
      long limited = got.stream().filter(f -> "rate_limited".equals(f.getString("code"))).count();
      assertEquals(8, acked + limited);
      assertTrue(got.subList(0, 3).stream().allMatch(f -> "ack".equals(f.getString("type"))), "the burst passes: " + got);
      assertEquals("rate_limited", got.get(3).getString("code"), "the first past it is refused: " + got);
      // then the connection is read again only as tokens come back (one every 200 ms): the answers
      // take at least one pause (frames already read in the same burst may still be refused at once)
      assertTrue(acked >= 4, "after a pause a token is back for the next frame: " + got);
      assertTrue(tookMs >= 150, "paced at the budget's rate: all answered within " + tookMs + " ms");
      // the bucket refills at 5 a second (PublishBudgetTest checks the refill on a clock of its own)
      assertEquals("ack", c.publishOnceServed("rate", "later", 5).getString("type"), "a client that slows down is served again");
      assertFalse(c.isClosed());
    }
  }

  @Test
  void aConnectionJoinsAtMostGroupsPerConnection(Vertx vertx) {
    try (WsClient c = WsClient.connect(vertx, port)) {
      // joins draw on the publish budget (burst 3 here): each is sent again once the bucket refills
      for (String g : List.of("g1", "g2", "g3")) {
        assertEquals("joined", joinOnceServed(c, g).getString("type"));
      }
      JsonObject refused = joinOnceServed(c, "g4");
      assertEquals("forbidden", refused.getString("code"));
      assertEquals("joined", joinOnceServed(c, "g3").getString("type"), "re-joining a group it has does not count");
      c.leave("g1");
      assertEquals("joined", joinOnceServed(c, "g4").getString("type"));
    }
  }

  /** A join, asked again while it is refused with rate_limited (for up to 5 s). */
  private static JsonObject joinOnceServed(WsClient c, String group) {
    long deadline = System.currentTimeMillis() + 5000;
    while (true) {
      JsonObject answer = c.join(group);
      if (!"rate_limited".equals(answer.getString("code")) || System.currentTimeMillis() > deadline) {
        return answer;
      }
      try {
        Thread.sleep(100); // pacing the retries (the bucket refills at 5 a second), not a synchronisation
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void aClientThatStopsReadingIsDisconnectedInsteadOfGrowingMemory(Vertx vertx) {
    WsClient slow = WsClient.connect(vertx, port);
    try (WsClient other = WsClient.connect(vertx, port)) {
      slow.join("firehose");
      slow.pause();
      WebClient http = WebClient.create(vertx);
      Buffer body = Buffer.buffer("\"" + "x".repeat(50_000) + "\"");
      // 10 MB for a client allowed 64 KB of backlog: far past its queue and the socket buffers
      for (int i = 0; i < 200 && !slow.isClosed(); i++) {
        Await.result(http.post(port, "127.0.0.1", "/api/groups/firehose/messages").sendBuffer(body));
      }
      assertEquals("pong", other.ping().getString("type"), "the node keeps serving everyone else");
    }
    slow.resume();
    short code = slow.awaitClose();
    assertTrue(code == 1013 || code == 1011, "closed as too slow (1013) or unresponsive (1011): " + code);
  }

  @Test
  void keepaliveKeepsLiveClientsAndClosesSilentOnes(Vertx vertx) {
    try (WsClient live = WsClient.connect(vertx, port)) {
      // a peer that completes the handshake and then never answers a ping (Vert.x clients always do)
      Promise<Buffer> silentGot = Promise.promise();
      Buffer received = Buffer.buffer();
      NetClient net = vertx.createNetClient();
      NetSocket silent = Await.result(net.connect(port, "127.0.0.1"));
      silent.handler(received::appendBuffer);
      silent.closeHandler(v -> silentGot.tryComplete(received));
      silent.write("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
      long opened = System.currentTimeMillis();
      Buffer all = Await.result(silentGot.future());
      assertTrue(System.currentTimeMillis() - opened >= 400, "closed for the missing pong, not at once");
      assertTrue(all.toString().startsWith("HTTP/1.1 101"));
      assertTrue(containsCloseFrame(all, 1011), "closed with 1011 pong timeout");
      assertEquals("pong", live.ping().getString("type"), "a client that answers pings stays");
      assertFalse(live.isClosed());
      net.close();
    }
  }

  @Test
  void aClientDrippingItsRequestHeadIsClosedAfterTheHeaderTimeout(Vertx vertx) {
    try (WsClient live = WsClient.connect(vertx, port)) {
      NetClient net = vertx.createNetClient();
      NetSocket slow = Await.result(net.connect(port, "127.0.0.1"));
      Promise<Long> closedAt = Promise.promise();
      Buffer received = Buffer.buffer();
      slow.handler(received::appendBuffer);
      slow.closeHandler(v -> closedAt.tryComplete(System.currentTimeMillis()));
      long opened = System.currentTimeMillis();
      // one header byte every 50 ms: never idle, never complete, as slowloris does
      String head = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "a".repeat(1000);
      int[] sent = {0};
      long drip = vertx.setPeriodic(50, id -> {
        if (sent[0] < head.length()) {
          slow.write(head.substring(sent[0], ++sent[0]));
        }
      });
      long closed = Await.result(closedAt.future());
      vertx.cancelTimer(drip);
      assertTrue(closed - opened >= 500, "not before the timeout: " + (closed - opened) + " ms");
      assertEquals(0, received.length(), "closed without an answer, like nginx");
      // a connection that sent its handshake in time outlives the header timeout
      assertEquals("pong", live.ping().getString("type"));
      assertFalse(live.isClosed());
      assertEquals(200, Await.result(WebClient.create(vertx).get(port, "127.0.0.1", "/health/live").send())
          .statusCode(), "the node keeps serving");
      net.close();
    }
  }

  /** Whether the raw server bytes hold an unmasked close frame with this status code. */
  private static boolean containsCloseFrame(Buffer bytes, int code) {
    for (int i = 0; i + 3 < bytes.length(); i++) {
      if ((bytes.getByte(i) & 0xff) == 0x88 && (bytes.getByte(i + 1) & 0x7f) >= 2
          && (bytes.getUnsignedShort(i + 2)) == code) {
        return true;
      }
    }
    return false;
  }

  @Test
  void anAddressOpensAtMostConnectionsPerIp(Vertx vertx) {
    var client = vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions().setMaxConnections(50));
    List<io.vertx.core.http.WebSocket> open = new ArrayList<>();
    try {
      Throwable refused = null;
      for (int i = 0; i < 13 && refused == null; i++) { // the limit is 12 for this node
        Future<io.vertx.core.http.WebSocket> attempt = client.connect(port, "127.0.0.1", "/ws");
        try {
          open.add(Await.result(attempt));
        } catch (AssertionError e) {
          refused = e.getCause();
        }
      }
      assertEquals(429, assertInstanceOf(UpgradeRejectedException.class, refused).getStatus());
      assertTrue(open.size() <= 12);
      Await.result(open.remove(0).close());
      awaitAccepted(vertx, client);
    } finally {
      open.forEach(ws -> Await.result(ws.close()));
      client.close();
    }
  }

  @Test
  void behindATrustedProxyTheForwardedClientIsCounted(Vertx vertx) {
    var client = vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions().setMaxConnections(50));
    List<io.vertx.core.http.WebSocket> open = new ArrayList<>();
    try {
      for (int i = 0; i < 12; i++) {
        // what a client writes left of the proxy's entry is not believed: all twelve are 203.0.113.7
        open.add(Await.result(client.connect(forwardedFor("198.51.100." + i + ", 203.0.113.7"))));
      }
      Throwable refused = assertThrows(AssertionError.class,
          () -> Await.result(client.connect(forwardedFor("203.0.113.7")))).getCause();
      assertEquals(429, assertInstanceOf(UpgradeRejectedException.class, refused).getStatus());
      open.add(Await.result(client.connect(forwardedFor("203.0.113.8"))));
    } finally {
      open.forEach(ws -> Await.result(ws.close()));
      client.close();
    }
  }

  /** Event-bus bridge connections count against their address like WebSockets. */
  @Test
  void bridgeConnectionsCountAgainstTheirAddress(Vertx vertx) {
    var client = vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions().setMaxConnections(50));
    List<io.vertx.core.http.WebSocket> bridges = new ArrayList<>();
    try {
      for (int i = 0; i < 12; i++) {
        bridges.add(Await.result(client.connect(new WebSocketConnectOptions().setPort(port).setHost("127.0.0.1")
            .setURI("/eventbus/websocket").addHeader("X-Forwarded-For", "203.0.113.30"))));
      }
      // the twelve bridge sockets are admitted as their sessions open: then the address is full
      Await.until("a WebSocket from the bridges' address refused", 10, () -> {
        Future<io.vertx.core.http.WebSocket> attempt = client.connect(forwardedFor("203.0.113.30"));
        try {
          Await.result(attempt).close();
          return false;
        } catch (AssertionError e) {
          return e.getCause() instanceof UpgradeRejectedException r && r.getStatus() == 429;
        }
      });
      Await.result(bridges.remove(0).close());
      Await.until("a bridge closed frees its place", 10, () -> {
        try {
          Await.result(client.connect(forwardedFor("203.0.113.30"))).close();
          return true;
        } catch (AssertionError e) {
          return false;
        }
      });
    } finally {
      bridges.forEach(ws -> ws.close());
      client.close();
    }
  }

  /** Publishes waiting for the cluster are bounded in bytes per node: past it, 429 at once. */
  @Test
  void publishesPastTheNodesQueuedBytesAreRefusedAtOnce(Vertx vertx) {
    WebClient http = WebClient.create(vertx);
    String big = "\"" + "q".repeat(30_000) + "\"";
    List<Future<io.vertx.ext.web.client.HttpResponse<Buffer>>> answers = new ArrayList<>();
    for (int i = 0; i < 40; i++) { // 1.2 MB at once against a budget of 64 KiB
      answers.add(http.post(port, "127.0.0.1", "/api/groups/queued/messages")
          .putHeader("X-Forwarded-For", "203.0.113." + (40 + i)).sendBuffer(Buffer.buffer(big)));
    }
    List<io.vertx.ext.web.client.HttpResponse<Buffer>> got = answers.stream().map(Await::result).toList();
    long stored = got.stream().filter(r -> r.statusCode() == 202).count();
    List<io.vertx.ext.web.client.HttpResponse<Buffer>> refused = got.stream().filter(r -> r.statusCode() == 429).toList();
    assertEquals(40, stored + refused.size(), "every publish stored or refused");
    assertTrue(stored > 0 && !refused.isEmpty(), "some stored, the rest refused: " + stored + " stored");
    assertEquals("rate_limited", refused.get(0).bodyAsJsonObject().getString("code"));
    http.close();
  }

  private static WebSocketConnectOptions forwardedFor(String chain) {
    return new WebSocketConnectOptions().setPort(port).setHost("127.0.0.1").setURI("/ws")
        .addHeader("X-Forwarded-For", chain);
  }

  /** A closed connection frees its place once the server has seen the close. */
  private static void awaitAccepted(Vertx vertx, io.vertx.core.http.WebSocketClient client) {
    AssertionError last = null;
    for (int i = 0; i < 50; i++) {
      try {
        Await.result(Await.result(client.connect(port, "127.0.0.1", "/ws")).close());
        return;
      } catch (AssertionError e) {
        last = e;
        Await.result(vertx.timer(50));
      }
    }
    throw last;
  }

  @Test
  void browserHandshakesFromOtherOriginsAreRefused(Vertx vertx) {
    WebSocketConnectOptions allowed = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws")
        .addHeader("Origin", "https://judges.example");
    try (WsClient ok = WsClient.open(vertx, allowed)) {
      assertEquals("welcome", ok.welcome.getString("type"));
    }
    try (WsClient sameOrigin = WsClient.connect(vertx, port)) { // Vert.x sends Origin = the server it calls
      assertEquals("welcome", sameOrigin.welcome.getString("type"), "a page served by the node itself is allowed");
    }
    try (WsClient noOrigin = WsClient.open(vertx, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/ws").setAllowOriginHeader(false))) {
      assertEquals("welcome", noOrigin.welcome.getString("type"), "non-browser clients that send no Origin pass");
    }
    WebSocketConnectOptions evil = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws")
        .addHeader("Origin", "https://evil.example");
    var client = vertx.createWebSocketClient(); // held: Vert.x 5 closes unreachable clients
    Throwable refused = Await.failure(client.connect(evil));
    assertEquals(403, assertInstanceOf(UpgradeRejectedException.class, refused).getStatus());
    client.close();
    WebClient http = WebClient.create(vertx);
    for (String path : List.of("/sockjs/info", "/eventbus/info")) {
      var r = Await.result(http.get(port, "127.0.0.1", path).putHeader("Origin", "https://evil.example").send());
      assertEquals(403, r.statusCode(), path);
      assertEquals("forbidden", r.bodyAsJsonObject().getString("code"));
      assertEquals(200, Await.result(http.get(port, "127.0.0.1", path).putHeader("Origin", "https://judges.example")
          .send()).statusCode(), path);
    }
  }
}
