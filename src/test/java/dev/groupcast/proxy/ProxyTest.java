package dev.groupcast.proxy;

import dev.groupcast.net.Upgrades;
import dev.groupcast.config.ConfigLoader;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.support.Await;
import dev.groupcast.support.RecordingBackend;
import dev.groupcast.support.TestCluster;
import dev.groupcast.support.WebSocketAccept;
import io.netty.channel.socket.DuplexChannel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The proxy in front of backends that report what reached them: one test per forwarding rule. */
@ExtendWith(VertxExtension.class)
class ProxyTest {

  private static int proxy(Vertx vertx, Map<String, String> env, RecordingBackend... backends) {
    return proxy(vertx, env, String.join(",", java.util.Arrays.stream(backends)
        .map(b -> "127.0.0.1:" + b.port).toList()));
  }

  private static int proxy(Vertx vertx, Map<String, String> env, String backends) {
    Map<String, String> all = new HashMap<>(env);
    int port = TestCluster.freePort();
    all.put("GROUPCAST_PROXY_PORT", String.valueOf(port));
    all.put("GROUPCAST_PROXY_BACKENDS", backends);
    GroupcastConfig config = ConfigLoader.load(null, all);
    Await.result(vertx.deployVerticle(new ProxyVerticle(config.proxy(), config.tls(), config.http().headerTimeout(), new BackendPool(config.proxy()),
        UpgradeGate.of(vertx, config.proxy().upgradeRate()))));
    return port;
  }

  /** Sends raw bytes and returns what the proxy answers until it closes (or the head, with stopAtHead). */
  private static String raw(Vertx vertx, int port, String request, boolean stopAtHead) {
    return raw(vertx, port, request, got -> stopAtHead && got.contains("\r\n\r\n"));
  }

  /** Sends raw bytes and returns what the proxy answers until {@code enough} says so or it closes. */
  private static String raw(Vertx vertx, int port, String request, java.util.function.Predicate<String> enough) {
    return raw(vertx, port, request, enough, Await.DEFAULT_SECONDS);
  }

  /** As above, failing when the answer takes longer than {@code seconds}. */
  private static String raw(Vertx vertx, int port, String request, java.util.function.Predicate<String> enough,
                            long seconds) {
    NetClient net = vertx.createNetClient();
    Promise<String> answer = Promise.promise();
    Buffer got = Buffer.buffer();
    net.connect(port, "127.0.0.1").onSuccess(sock -> {
      sock.handler(b -> {
        got.appendBuffer(b);
        if (enough.test(got.toString())) {
          answer.tryComplete(got.toString());
          sock.close();
        }
      });
      sock.closeHandler(v -> answer.tryComplete(got.toString() + "<closed>"));
      sock.write(request);
    }).onFailure(answer::fail);
    try {
      return Await.result(answer.future(), seconds);
    } finally {
      net.close();
    }
  }

  @Test
  void upgradeHeadersFollowTheHopByHopAndForwardingRules(Vertx vertx) throws Exception {
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      int port = proxy(vertx, Map.of(), backend);
      String key = "dGhlIHNhbXBsZSBub25jZQ==";
      String head = raw(vertx, port, "GET /ws?room=7&x=%20y HTTP/1.1\r\n"
          + "Host: judges.example:8443\r\n"
          + "Upgrade: WebSocket\r\n"
          + "Connection: keep-alive, Upgrade, X-Hop\r\n"
          + "X-Hop: gone\r\n"
          + "Keep-Alive: timeout=5\r\n"
          + "Proxy-Connection: keep-alive\r\n"
          + "TE: trailers\r\n"
          + "Trailer: X-Checksum\r\n"
          + "Sec-WebSocket-Key: " + key + "\r\n"
          + "Sec-WebSocket-Version: 13\r\n"
          + "Sec-WebSocket-Protocol: groupcast.v1\r\n"
          + "Origin: https://judges.example\r\n"
          + "Cookie: sid=abc\r\n"
          + "X-Custom: kept\r\n"
          + "X-Forwarded-For: 203.0.113.7, 198.51.100.2\r\n"
          + "\r\n", true);
      assertTrue(head.startsWith("HTTP/1.1 101"), head);
      assertTrue(head.toLowerCase().contains("sec-websocket-accept: " + WebSocketAccept.of(key).toLowerCase()), head);
      assertTrue(head.toLowerCase().contains("sec-websocket-protocol: groupcast.v1"), head);

      JsonObject seen = backend.lastRequest();
      JsonObject h = seen.getJsonObject("headers");
      assertEquals("/ws?room=7&x=%20y", seen.getString("uri"), "path and query unchanged");
      assertEquals("judges.example:8443", h.getString("host"), "Host as the client sent it");
      assertEquals("websocket", h.getString("upgrade"));
      assertEquals("Upgrade", h.getString("connection"));
      for (String hop : List.of("x-hop", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding")) {
        assertNull(h.getValue(hop), hop + " is hop-by-hop");
      }
      assertEquals(key, h.getString("sec-websocket-key"));
      assertEquals("13", h.getString("sec-websocket-version"));
      assertEquals("groupcast.v1", h.getString("sec-websocket-protocol"));
      assertEquals("https://judges.example", h.getString("origin"));
      assertEquals("sid=abc", h.getString("cookie"));
      assertEquals("kept", h.getString("x-custom"));
      assertEquals("203.0.113.7, 198.51.100.2, 127.0.0.1", h.getString("x-forwarded-for"));
      assertEquals("127.0.0.1", h.getString("x-real-ip"));
      assertEquals("http", h.getString("x-forwarded-proto"));
      assertEquals("judges.example:8443", h.getString("x-forwarded-host"));
      assertEquals(String.valueOf(port), h.getString("x-forwarded-port"));
    }
  }

  @Test
  void aTunnelCarriesFramesBothWaysAndOneSideClosingClosesTheOther(Vertx vertx) {
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      int port = proxy(vertx, Map.of(), backend);
      WebSocketClient client = vertx.createWebSocketClient();
      List<String> got = new ArrayList<>();
      Promise<Void> echoed = Promise.promise();
      ClientWebSocket ws = client.webSocket();
      ws.textMessageHandler(t -> {
        got.add(t);
        if (got.size() == 3) {
          echoed.complete();
        }
      });
      Await.result(ws.connect(port, "127.0.0.1", "/ws"));
      ws.writeTextMessage("one");
      ws.writeTextMessage("x".repeat(200_000));
      Await.result(echoed.future());
      assertEquals("a", new JsonObject(got.get(0)).getString("backend"));
      assertEquals(List.of("one", "x".repeat(200_000)), got.subList(1, 3));
      Await.result(ws.close());
      awaitTrue(vertx, () -> backend.closedSockets.get() == 1, "client close reaches the backend");

      Promise<Short> closedByBackend = Promise.promise();
      ClientWebSocket closing = client.webSocket();
      closing.closeHandler(v -> closedByBackend.tryComplete(closing.closeStatusCode()));
      Await.result(closing.connect(port, "127.0.0.1", "/ws?close"));
      assertEquals((short) 1000, Await.result(closedByBackend.future()), "backend close reaches the client");
      client.close();
    }
  }

  @Test
  void plainHttpIsStreamedWithTheSameHeaderRules(Vertx vertx) {
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      int port = proxy(vertx, Map.of(), backend);
      WebClient http = WebClient.create(vertx);
      Buffer big = Buffer.buffer(new byte[3 * 1024 * 1024]);
      HttpResponse<Buffer> r = Await.result(http.post(port, "127.0.0.1", "/api/upload?x=1")
          .putHeader("X-Forwarded-For", "203.0.113.7").putHeader("X-Custom", "kept").sendBuffer(big));
      assertEquals(200, r.statusCode());
      JsonObject report = r.bodyAsJsonObject();
      assertEquals(big.length(), report.getInteger("bodyBytes"), "request body streamed whole");
      assertEquals("/api/upload?x=1", report.getString("uri"));
      assertEquals("203.0.113.7, 127.0.0.1", report.getJsonObject("headers").getString("x-forwarded-for"));
      assertEquals("kept", report.getJsonObject("headers").getString("x-custom"));
      assertEquals("a", r.getHeader("X-Backend"), "end-to-end response headers pass");
      assertNull(r.getHeader("X-Private"), "a header the backend's Connection names stays on its hop");
      assertNull(r.getHeader("Keep-Alive"));

      HttpResponse<Buffer> denied = Await.result(http.get(port, "127.0.0.1", "/status/403").send());
      assertEquals(403, denied.statusCode());
      assertEquals("status 403 from a", denied.bodyAsString());
    }
  }

  @Test
  void aRefusedUpgradeReachesTheClientWithStatusHeadersAndBody(Vertx vertx) {
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      int port = proxy(vertx, Map.of(), backend);
      String answer = raw(vertx, port, "GET /status/403 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
          got -> got.contains("from a"));
      assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
      assertTrue(answer.toLowerCase().contains("x-backend: a"), answer);
      assertTrue(answer.contains("status 403 from a"), answer);

      String malformed = raw(vertx, port, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", got -> got.contains("\r\n\r\n"));
      assertTrue(malformed.startsWith("HTTP/1.1 400"), "no Sec-WebSocket-Key: the backend's 400 " + malformed);
    }
  }

  @Test
  void roundRobinAlternatesAndLeastConnAvoidsTheBusyBackend(Vertx vertx) {
    try (RecordingBackend a = RecordingBackend.start(vertx, "a"); RecordingBackend b = RecordingBackend.start(vertx, "b")) {
      WebClient http = WebClient.create(vertx);
      int rr = proxy(vertx, Map.of(), a, b);
      List<String> order = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        order.add(Await.result(http.get(rr, "127.0.0.1", "/x").send()).getHeader("X-Backend"));
      }
      for (int i = 2; i < 6; i++) {
        assertEquals(order.get(i - 2), order.get(i), "round-robin repeats every two: " + order);
      }
      assertNotEquals(order.get(0), order.get(1));

      int lc = proxy(vertx, Map.of("GROUPCAST_PROXY_BALANCE", "least-conn"), a, b);
      WebSocketClient client = vertx.createWebSocketClient();
      List<String> tunnels = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Promise<String> first = Promise.promise();
        ClientWebSocket tunnel = client.webSocket();
        tunnel.textMessageHandler(t -> first.tryComplete(new JsonObject(t).getString("backend")));
        Await.result(tunnel.connect(lc, "127.0.0.1", "/ws"));
        tunnels.add(Await.result(first.future()));
      }
      assertEquals(2, tunnels.stream().filter("a"::equals).count(), "open tunnels spread evenly: " + tunnels);
      for (int i = 0; i < 4; i++) {
        assertNotNull(Await.result(http.get(lc, "127.0.0.1", "/x").send()).getHeader("X-Backend"));
      }
      client.close();
    }
  }

  @Test
  void ipHashAndKeyHashAreStable(Vertx vertx) {
    try (RecordingBackend a = RecordingBackend.start(vertx, "a"); RecordingBackend b = RecordingBackend.start(vertx, "b");
         RecordingBackend c = RecordingBackend.start(vertx, "c")) {
      WebClient http = WebClient.create(vertx);
      int ip = proxy(vertx, Map.of("GROUPCAST_PROXY_BALANCE", "ip-hash"), a, b, c);
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < 8; i++) {
        seen.add(Await.result(http.get(ip, "127.0.0.1", "/x").send()).getHeader("X-Backend"));
      }
      assertEquals(1, seen.size(), "one client address, one backend: " + seen);

      int keyed = proxy(vertx, Map.of("GROUPCAST_PROXY_BALANCE", "hash", "GROUPCAST_PROXY_HASH_KEY", "header:X-Judge"),
          a, b, c);
      Map<String, String> placement = new HashMap<>();
      for (int round = 0; round < 3; round++) {
        for (int judge = 0; judge < 30; judge++) {
          String backend = Await.result(http.get(keyed, "127.0.0.1", "/x").putHeader("X-Judge", "judge-" + judge).send())
              .getHeader("X-Backend");
          String before = placement.put("judge-" + judge, backend);
          if (before != null) {
            assertEquals(before, backend, "a key always reaches the same backend");
          }
        }
      }
      assertEquals(3, new HashSet<>(placement.values()).size(), "keys spread over every backend: " + placement);

      int byQuery = proxy(vertx, Map.of("GROUPCAST_PROXY_BALANCE", "hash", "GROUPCAST_PROXY_HASH_KEY", "query:room"),
          a, b, c);
      String first = Await.result(http.get(byQuery, "127.0.0.1", "/x?room=r1").send()).getHeader("X-Backend");
      for (int i = 0; i < 5; i++) {
        assertEquals(first, Await.result(http.get(byQuery, "127.0.0.1", "/x?room=r1").send()).getHeader("X-Backend"));
      }
      int byCookie = proxy(vertx, Map.of("GROUPCAST_PROXY_BALANCE", "hash", "GROUPCAST_PROXY_HASH_KEY", "cookie:uid"),
          a, b, c);
      String viaCookie = Await.result(http.get(byCookie, "127.0.0.1", "/x").putHeader("Cookie", "uid=u7").send())
          .getHeader("X-Backend");
      for (int i = 0; i < 5; i++) {
        assertEquals(viaCookie, Await.result(http.get(byCookie, "127.0.0.1", "/x").putHeader("Cookie", "uid=u7").send())
            .getHeader("X-Backend"));
      }
    }
  }

  @Test
  void sockJsSessionRequestsStickToOneBackendWhateverThePolicy(Vertx vertx) {
    try (RecordingBackend a = RecordingBackend.start(vertx, "a"); RecordingBackend b = RecordingBackend.start(vertx, "b")) {
      WebClient http = WebClient.create(vertx);
      int port = proxy(vertx, Map.of(), a, b);
      Set<String> owners = new HashSet<>();
      for (int session = 0; session < 12; session++) {
        Set<String> seen = new HashSet<>();
        for (String transport : List.of("xhr", "xhr_send", "xhr", "xhr_send", "xhr_streaming", "eventsource")) {
          seen.add(Await.result(http.post(port, "127.0.0.1", "/sockjs/123/s" + session + "/" + transport).send())
              .getHeader("X-Backend"));
        }
        assertEquals(1, seen.size(), "session s" + session + " went to " + seen);
        owners.addAll(seen);
      }
      assertEquals(Set.of("a", "b"), owners, "sessions still spread over the backends");
    }
  }

  @Test
  void aRefusingBackendIsSkippedAndNoneLeftGives502(Vertx vertx) {
    try (RecordingBackend live = RecordingBackend.start(vertx, "live")) {
      WebClient http = WebClient.create(vertx);
      int dead = TestCluster.freePort();
      int port = proxy(vertx, Map.of(), "127.0.0.1:" + dead + ",127.0.0.1:" + live.port);
      for (int i = 0; i < 6; i++) {
        assertEquals("live", Await.result(http.get(port, "127.0.0.1", "/x").send()).getHeader("X-Backend"));
      }
      WebSocketClient client = vertx.createWebSocketClient(); // held: an unreachable client closes its sockets
      WebSocket ws = Await.result(client.connect(port, "127.0.0.1", "/ws"));
      assertFalse(ws.isClosed());

      int none = proxy(vertx, Map.of(), "127.0.0.1:" + dead + ",127.0.0.1:" + TestCluster.freePort());
      HttpResponse<Buffer> r = Await.result(http.get(none, "127.0.0.1", "/x").send());
      assertEquals(502, r.statusCode());
      assertEquals("bad_gateway", r.bodyAsJsonObject().getString("code"));
      client.close();
    }
  }

  /**
   * {@code proxy.upgradeRate}: new tunnels past the rate wait their turn, in order, rather than all
   * reaching the backends at once (a reconnect storm); past ten seconds' worth waiting, an upgrade is
   * refused with 503 and Retry-After, and plain HTTP is never held back.
   */
  @Test
  void upgradesPastTheRateWaitTheirTurnAndPastTenSecondsWorthAreRefused(Vertx vertx) {
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      WebSocketClient client = vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions()
          .setMaxConnections(100));
      int paced = proxy(vertx, Map.of("GROUPCAST_PROXY_UPGRADE_RATE", "20"), backend);
      long start = System.currentTimeMillis();
      List<Future<Long>> opened = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        Promise<Long> first = Promise.promise();
        ClientWebSocket ws = client.webSocket();
        ws.textMessageHandler(t -> first.tryComplete(System.currentTimeMillis() - start));
        ws.connect(paced, "127.0.0.1", "/ws").onFailure(first::tryFail);
        opened.add(first.future());
      }
      // sent while most upgrades still wait
      Future<Long> plain = WebClient.create(vertx).get(paced, "127.0.0.1", "/x").send()
          .map(r -> System.currentTimeMillis() - start);
      Await.result(Future.all(opened), 20);
      List<Long> at = opened.stream().map(Future::result).sorted().toList();
      // 2 at once (a tenth of a second's worth), then 20 a second: the 30th about 1.4 s in
      assertTrue(at.get(29) >= 1000 && at.get(29) < 5000, "the last one paced, about 1.4 s in: " + at);
      assertTrue(at.get(29) - at.get(0) >= 900, "spread over more than a second: " + at);
      assertEquals(30, backend.openSockets.get());
      assertTrue(Await.result(plain) < at.get(29), "plain HTTP is not held behind the waiting upgrades: "
          + plain.result() + " ms, the last upgrade at " + at.get(29) + " ms");

      int slow = proxy(vertx, Map.of("GROUPCAST_PROXY_UPGRADE_RATE", "1"), backend);
      List<Future<HttpResponse<Buffer>>> answers = new ArrayList<>();
      // one connection per request: upgrades held by the gate keep theirs
      WebClient http = WebClient.create(vertx, new io.vertx.ext.web.client.WebClientOptions(),
          new io.vertx.core.http.PoolOptions().setHttp1MaxSize(20));
      for (int i = 0; i < 13; i++) {
        answers.add(http.get(slow, "127.0.0.1", "/ws").putHeader("Upgrade", "websocket").putHeader("Connection", "Upgrade")
            .putHeader("Sec-WebSocket-Version", "13").putHeader("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
            .timeout(3000).send());
      }
      Await.result(Future.join(answers).otherwiseEmpty(), 10); // the held ones time out: only the refusals count
      List<HttpResponse<Buffer>> refused = answers.stream().filter(Future::succeeded).map(Future::result)
          .filter(r -> r.statusCode() == 503).toList();
      // 1 at once, 10 waiting (ten seconds' worth): the other 2 refused at once (1 if a waiting one
      // was let through before the last arrived, a second later)
      assertTrue(refused.size() == 2 || refused.size() == 1, "refused: " + refused.size());
      assertEquals("unavailable", refused.get(0).bodyAsJsonObject().getString("code"));
      assertEquals("1", refused.get(0).getHeader("Retry-After"));
      client.close();
    }
  }

  /**
   * A backend that drops the connection without answering (a node that has just died, its pooled
   * connection not yet seen closed): a GET goes on to the next backend, as nginx's default
   * {@code proxy_next_upstream error} does; a request with a body gets a 502, since part of it was sent.
   */
  @Test
  void aBodilessRequestADroppingBackendLeftUnansweredGoesToTheNextBackend(Vertx vertx) {
    AtomicInteger dropped = new AtomicInteger();
    NetServer dropper = vertx.createNetServer().connectHandler(sock -> {
      Buffer head = Buffer.buffer();
      sock.handler(bytes -> {
        if (head.appendBuffer(bytes).toString().contains("\r\n\r\n")) {
          dropped.incrementAndGet();
          sock.close();
        }
      });
    });
    Await.result(dropper.listen(0, "127.0.0.1"));
    try (RecordingBackend b = RecordingBackend.start(vertx, "b")) {
      WebClient http = WebClient.create(vertx);
      String backends = "127.0.0.1:" + dropper.actualPort() + ",127.0.0.1:" + b.port;
      int withBody = proxy(vertx, Map.of(), backends);
      List<Integer> posts = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        posts.add(Await.result(http.post(withBody, "127.0.0.1", "/x").sendBuffer(Buffer.buffer("body"))).statusCode());
      }
      Collections.sort(posts);
      assertEquals(List.of(200, 502), posts, "round-robin: one POST reached the dropping backend and is not repeated");

      int bodiless = proxy(vertx, Map.of(), backends);
      int droppedBefore = dropped.get();
      for (int i = 0; i < 4; i++) {
        HttpResponse<Buffer> answer = Await.result(http.get(bodiless, "127.0.0.1", "/x").send());
        assertEquals(200, answer.statusCode(), answer.bodyAsString());
        assertEquals("b", answer.getHeader("X-Backend"));
      }
      assertTrue(dropped.get() > droppedBefore, "a GET did reach the dropping backend first");
    } finally {
      Await.result(dropper.close());
    }
  }

  @Test
  void aBackendThatNeverAnswersGives504AndAnIdleTunnelIsClosed(Vertx vertx) {
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      int port = proxy(vertx, Map.of("GROUPCAST_PROXY_READ_TIMEOUT", "400ms"), backend);
      long start = System.currentTimeMillis();
      HttpResponse<Buffer> r = Await.result(WebClient.create(vertx).get(port, "127.0.0.1", "/silent").send());
      assertEquals(504, r.statusCode());
      assertEquals("gateway_timeout", r.bodyAsJsonObject().getString("code"));
      assertTrue(System.currentTimeMillis() - start < 5000);

      Promise<Void> closed = Promise.promise();
      WebSocketClient client = vertx.createWebSocketClient(); // held: an unreachable client closes its sockets
      ClientWebSocket ws = client.webSocket();
      ws.closeHandler(v -> closed.tryComplete());
      Await.result(ws.connect(port, "127.0.0.1", "/ws"));
      long opened = System.currentTimeMillis();
      Await.result(closed.future());
      assertTrue(System.currentTimeMillis() - opened >= 300, "closed by the read timeout, not at once");
      awaitTrue(vertx, () -> backend.closedSockets.get() == 1, "the backend side is closed too");
      client.close();
    }
  }

  @Test
  void aTunnelWithTrafficOneWayOutlivesTheReadTimeoutAndClosesOnceQuiet(Vertx vertx) {
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      int port = proxy(vertx, Map.of("GROUPCAST_PROXY_READ_TIMEOUT", "400ms"), backend);
      // held to the end: Vert.x 5 closes a client, and its connections, once it is unreachable
      WebSocketClient client = vertx.createWebSocketClient();
      ClientWebSocket ws = client.webSocket();
      Promise<Void> closed = Promise.promise();
      ws.closeHandler(v -> closed.tryComplete());
      Await.result(ws.connect(port, "127.0.0.1", "/ws?mute"));
      long sender = vertx.setPeriodic(100, id -> ws.writeTextMessage("tick"));
      awaitTrue(vertx, () -> backend.received.get() >= 15, "1.5 s of client-to-backend traffic");
      vertx.cancelTimer(sender);
      assertFalse(closed.future().isComplete(), "traffic one way keeps the tunnel open past the read timeout");
      long quietFrom = System.currentTimeMillis();
      Await.result(closed.future());
      assertTrue(System.currentTimeMillis() - quietFrom >= 250, "closed by the read timeout once quiet");
      awaitTrue(vertx, () -> backend.closedSockets.get() == 1, "the backend side is closed too");
      client.close();
    }
  }

  @Test
  void aThousandConcurrentTunnels(Vertx vertx) {
    int count = 1000;
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      int port = proxy(vertx, Map.of(), backend);
      WebSocketClient client = vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions()
          .setMaxConnections(count));
      List<Future<String>> echoes = new ArrayList<>();
      List<WebSocket> sockets = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String text = "tunnel-" + i;
        Promise<String> echo = Promise.promise();
        echoes.add(echo.future());
        WebSocket ws = Await.result(client.connect(new WebSocketConnectOptions().setPort(port).setHost("127.0.0.1")
            .setURI("/ws")).onSuccess(s -> s.textMessageHandler(t -> {
              if (t.equals(text)) {
                echo.tryComplete(t);
              }
            })));
        sockets.add(ws);
      }
      for (int i = 0; i < count; i++) {
        sockets.get(i).writeTextMessage("tunnel-" + i);
      }
      Await.result(Future.all(echoes), 60);
      assertEquals(count, backend.openSockets.get());
      client.close();
    }
  }

  @Test
  void badInputGets400Or431AndTheProxyKeepsServing(Vertx vertx) {
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      int port = proxy(vertx, Map.of(), backend);
      String garbage = raw(vertx, port, "\u0001\u0002 NONSENSE \r\n\r\n", false);
      assertTrue(garbage.contains(" 400 ") && garbage.endsWith("<closed>"), garbage);
      String huge = raw(vertx, port, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n", false);
      assertTrue(huge.contains(" 431 "), huge);
      assertEquals(200, Await.result(WebClient.create(vertx).get(port, "127.0.0.1", "/x").send()).statusCode());
    }
  }

  @Test
  void requestsThatCouldBeSmuggledOrPoisonAConnectionGet400AndAClose(Vertx vertx) {
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      int port = proxy(vertx, Map.of(), backend);
      String upgrade = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
      for (String request : List.of(
          upgrade + "Content-Length: 5\r\n\r\nhello",
          upgrade + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
          upgrade + "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
          "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
          "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")) {
        String answer = raw(vertx, port, request, false);
        assertTrue(answer.startsWith("HTTP/1.1 400 ") && answer.endsWith("<closed>"),
            request + " -> " + answer);
      }
      // the same request without the body goes through; nothing refused reached the backend
      assertEquals(0, backend.requests.size(), "nothing refused reached the backend");
      String fine = raw(vertx, port, upgrade + "Content-Length: 0\r\n\r\n", true);
      assertTrue(fine.startsWith("HTTP/1.1 101 "), fine);
      assertNull(backend.lastRequest().getJsonObject("headers").getValue("content-length"),
          "an upgrade carries no body, so no body length goes to the backend either");
    }
  }

  @Test
  void anUpgradeWithABodyGets400AndTheNextUpgradeToTheSameBackendSucceeds(Vertx vertx) {
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      // one backend: a poisoned pooled connection, if there were one, would be the next request's
      int port = proxy(vertx, Map.of(), backend);
      String upgrade = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
      String refused = raw(vertx, port, upgrade + "Content-Length: 5\r\n\r\nhello", got -> false, 1);
      assertTrue(refused.startsWith("HTTP/1.1 400 ") && refused.endsWith("<closed>"), refused);
      String next = raw(vertx, port, upgrade + "\r\n", got -> got.contains("\r\n\r\n"), 1);
      assertTrue(next.startsWith("HTTP/1.1 101 "), next);
      assertEquals(1, backend.requests.size(), "only the upgrade without a body reached the backend");
    }
  }

  @Test
  void aBackendConnectionThatRefusedAnUpgradeIsClosedNotReused(Vertx vertx) {
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      int port = proxy(vertx, Map.of(), backend);
      String upgrade = " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
      String refused = raw(vertx, port, "GET /status/403" + upgrade, got -> got.contains("from a"));
      assertTrue(refused.startsWith("HTTP/1.1 403 "), refused);
      awaitTrue(vertx, () -> backend.closedConnections.get() == 1, "the refusing connection is closed");
      String next = raw(vertx, port, "GET /ws" + upgrade, true);
      assertTrue(next.startsWith("HTTP/1.1 101 "), next);
      assertEquals(2, backend.connections.get(), "the upgrade after a refusal gets a connection of its own");
    }
  }

  @Test
  void aRequestWithBothContentLengthAndTransferEncodingGets400(Vertx vertx) {
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      int port = proxy(vertx, Map.of(), backend);
      // the classic smuggling shapes: whoever reads the body by one header finds a second request
      // where the other reads a body
      String smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
      String chunks = "0\r\n\r\n" + smuggled;
      for (String request : List.of(
          "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: " + chunks.length()
              + "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks,
          "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
              + Integer.toHexString(smuggled.length()) + "\r\n" + smuggled + "\r\n0\r\n\r\n",
          "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")) {
        String answer = raw(vertx, port, request, false);
        assertTrue(answer.startsWith("HTTP/1.1 400 ") && answer.endsWith("<closed>"), request + " -> " + answer);
        assertEquals(1, answer.split("HTTP/1.1 ", -1).length - 1, "one answer, nothing behind it: " + answer);
      }
      assertEquals(0, backend.requests.size(), "nothing reached the backend: " + backend.requests);
    }
  }

  @Test
  void aCloseFrameTheBackendSendsJustBeforeClosingReachesTheClient(Vertx vertx) {
    HandRolled backend = HandRolled.start(vertx, Buffer.buffer(CLOSE_1000), false);
    try {
      int port = proxy(vertx, Map.of(), "127.0.0.1:" + backend.port());
      WebSocketClient client = vertx.createWebSocketClient();
      for (int round = 0; round < 20; round++) {
        Promise<Short> closed = Promise.promise();
        ClientWebSocket ws = client.webSocket();
        ws.closeHandler(v -> closed.tryComplete(ws.closeStatusCode()));
        Await.result(ws.connect(port, "127.0.0.1", "/ws"));
        assertEquals(Short.valueOf((short) 1000), Await.result(closed.future(), 5), "round " + round);
      }
      client.close();
    } finally {
      Await.result(backend.server().close());
    }
  }

  @Test
  void aBurstTheBackendWritesJustBeforeClosingReachesTheClientWhole(Vertx vertx) {
    int frames = 128;
    int size = 32 * 1024;
    Buffer burst = Buffer.buffer();
    for (int i = 0; i < frames; i++) {
      byte[] payload = new byte[size];
      Arrays.fill(payload, (byte) i);
      burst.appendByte((byte) 0x82).appendByte((byte) 126).appendShort((short) size).appendBytes(payload);
    }
    burst.appendBytes(CLOSE_1000);
    HandRolled backend = HandRolled.start(vertx, burst, false);
    try {
      int port = proxy(vertx, Map.of(), "127.0.0.1:" + backend.port());
      WebSocketClient client = vertx.createWebSocketClient();
      for (int round = 0; round < 3; round++) {
        int closedBefore = backend.closed().get();
        List<Buffer> got = new ArrayList<>();
        Promise<Short> closed = Promise.promise();
        ClientWebSocket ws = client.webSocket();
        ws.binaryMessageHandler(got::add);
        ws.closeHandler(v -> closed.tryComplete(ws.closeStatusCode()));
        // a slow reader: the burst piles up in the proxy while the backend is already gone (a socket
        // can only be paused once connected; frames read before that still reach the handler)
        Await.result(ws.connect(port, "127.0.0.1", "/ws").onSuccess(connected -> ws.pause()));
        awaitTrue(vertx, () -> backend.closed().get() > closedBefore, "the backend closed its socket");
        vertx.setTimer(200, id -> ws.resume());
        assertEquals(Short.valueOf((short) 1000), Await.result(closed.future(), 10), "round " + round);
        assertEquals(frames, got.size(), "round " + round);
        for (int i = 0; i < frames; i++) {
          assertEquals(size, got.get(i).length());
          assertEquals((byte) i, got.get(i).getByte(size - 1));
        }
      }
      client.close();
    } finally {
      Await.result(backend.server().close());
    }
  }

  @Test
  void aCloseFrameReachesAClientThatIsStillSendingWhenTheBackendCloses(Vertx vertx) {
    // the proxy's side towards the client then holds unread input when it closes: closed as it was,
    // the kernel sent a reset, and the client lost the close frame it had not read yet (1006)
    HandRolled backend = HandRolled.start(vertx, Buffer.buffer(CLOSE_1000), true);
    try {
      int port = proxy(vertx, Map.of(), "127.0.0.1:" + backend.port());
      WebSocketClient client = vertx.createWebSocketClient();
      Buffer chunk = Buffer.buffer(new byte[60_000]);
      List<Short> codes = new ArrayList<>();
      for (int round = 0; round < 10; round++) {
        Promise<Short> closed = Promise.promise();
        ClientWebSocket ws = client.webSocket();
        ws.closeHandler(v -> closed.tryComplete(ws.closeStatusCode()));
        ws.exceptionHandler(e -> { });
        Await.result(ws.connect(port, "127.0.0.1", "/ws").onSuccess(connected -> {
          // as much as the tunnel takes, a few messages per event-loop turn, until the close
          Runnable[] flood = new Runnable[1];
          flood[0] = () -> {
            for (int i = 0; i < 8 && !connected.isClosed() && !connected.writeQueueFull(); i++) {
              connected.writeBinaryMessage(chunk);
            }
            if (connected.isClosed()) {
              return; // writing now would throw; the close handler completes the round
            }
            if (connected.writeQueueFull()) {
              connected.drainHandler(v -> flood[0].run());
            } else {
              vertx.runOnContext(v -> flood[0].run());
            }
          };
          flood[0].run();
        }));
        codes.add(Await.result(closed.future(), 5));
      }
      assertEquals(Collections.nCopies(10, (short) 1000), codes);
      client.close();
    } finally {
      Await.result(backend.server().close());
    }
  }

  @Test
  void anIncompleteRequestHeadIsClosedAfterTheHeaderTimeout(Vertx vertx) {
    try (RecordingBackend backend = RecordingBackend.start(vertx, "a")) {
      int port = proxy(vertx, Map.of("GROUPCAST_HTTP_HEADER_TIMEOUT", "300ms"), backend);
      long start = System.currentTimeMillis();
      String answer = raw(vertx, port, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nX-Slow: ", false);
      assertEquals("<closed>", answer);
      assertTrue(System.currentTimeMillis() - start >= 250, "closed by the timer, not at once");
      assertEquals(0, backend.requests.size(), "nothing reached the backend");
      assertEquals(200, Await.result(WebClient.create(vertx).get(port, "127.0.0.1", "/x").send()).statusCode());
    }
  }

  @Test
  void consistentHashingMovesFewKeysWhenABackendIsAdded() {
    List<Backend> three = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      three.add(new Backend(new dev.groupcast.config.HostPort("10.0.0." + i, 8080)));
    }
    List<Backend> four = new ArrayList<>(three);
    four.add(new Backend(new dev.groupcast.config.HostPort("10.0.0.4", 8080)));
    HashRing before = new HashRing(three);
    HashRing after = new HashRing(four);
    int keys = 20_000;
    int moved = 0;
    Map<Backend, Integer> load = new HashMap<>();
    for (int k = 0; k < keys; k++) {
      Backend x = before.pick("key-" + k, b -> true);
      Backend y = after.pick("key-" + k, b -> true);
      load.merge(y, 1, Integer::sum);
      if (x != y) {
        moved++;
        assertEquals("10.0.0.4:8080", y.key(), "keys only move to the new backend");
      }
    }
    double share = moved / (double) keys;
    assertTrue(share > 0.15 && share < 0.35, "about a quarter of the keys move: " + share);
    load.values().forEach(n -> assertTrue(n > keys / 4 * 0.7 && n < keys / 4 * 1.3, "balanced: " + load));
    Backend skipped = after.pick("key-1", b -> !b.key().equals(after.pick("key-1", x -> true).key()));
    assertNotEquals(after.pick("key-1", b -> true), skipped, "an unusable owner is skipped");
  }

  @Test
  void upgradeDetectionAcceptsTokenLists() {
    io.vertx.core.MultiMap h = io.vertx.core.MultiMap.caseInsensitiveMultiMap();
    h.set("Upgrade", "websocket").set("Connection", "keep-alive, Upgrade");
    assertTrue(Upgrades.isWebSocketUpgrade(h), "Firefox");
    h.set("Connection", "UPGRADE");
    assertTrue(Upgrades.isWebSocketUpgrade(h));
    h.set("Connection", "keep-alive");
    assertFalse(Upgrades.isWebSocketUpgrade(h));
    h.set("Connection", "upgrade").set("Upgrade", "h2c");
    assertFalse(Upgrades.isWebSocketUpgrade(h));
    assertNull(SockJsPaths.sessionKey("/api/groups/x/messages"));
    assertEquals("/sockjs/abc", SockJsPaths.sessionKey("/sockjs/123/abc/xhr_send"));
    assertEquals("/app/eventbus/abc", SockJsPaths.sessionKey("/app/eventbus/1/abc/websocket"));
    assertNull(SockJsPaths.sessionKey("/sockjs/info"));
  }

  private static void awaitTrue(Vertx vertx, java.util.function.BooleanSupplier condition, String what) {
    Promise<Void> done = Promise.promise();
    long deadline = System.currentTimeMillis() + 10_000;
    vertx.setPeriodic(20, id -> {
      if (condition.getAsBoolean()) {
        vertx.cancelTimer(id);
        done.tryComplete();
      } else if (System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(id);
        done.tryFail(what);
      }
    });
    Await.result(done.future());
  }

  /** A WebSocket close frame with status 1000, as a server sends it (unmasked). */
  private static final byte[] CLOSE_1000 = {(byte) 0x88, 0x02, 0x03, (byte) 0xE8};

  /**
   * A WebSocket backend with the handshake done by hand on a plain TCP server, so that a test picks the
   * bytes that follow the 101 and how the socket closes. Abrupt: the 101, {@code after} and a close at
   * once, the 101 and {@code after} in one write on every other connection (they reach the proxy
   * together or apart). Lingering: {@code after} 150 ms after the 101, then the output shut down and
   * the input read until the peer closes, as a server that wants its close frame read does.
   */
  private record HandRolled(NetServer server, int port, AtomicInteger closed) {

    static HandRolled start(Vertx vertx, Buffer after, boolean lingering) {
      AtomicInteger accepted = new AtomicInteger();
      AtomicInteger closed = new AtomicInteger();
      NetServer server = vertx.createNetServer().connectHandler(sock -> {
        boolean together = accepted.incrementAndGet() % 2 == 0;
        Buffer head = Buffer.buffer();
        sock.closeHandler(v -> closed.incrementAndGet());
        sock.handler(bytes -> {
          if (!head.appendBuffer(bytes).toString().contains("\r\n\r\n")) {
            return;
          }
          String key = null;
          for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("sec-websocket-key:")) {
              key = line.substring(line.indexOf(':') + 1).trim();
            }
          }
          Buffer answer = Buffer.buffer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
              + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + WebSocketAccept.of(key) + "\r\n\r\n");
          sock.handler(ignored -> { });
          if (lingering) {
            sock.write(answer);
            vertx.setTimer(150, id -> sock.write(after).onComplete(written ->
                ((DuplexChannel) ((NetSocketInternal) sock).channelHandlerContext().channel()).shutdownOutput()));
          } else if (together) {
            sock.write(answer.appendBuffer(after));
            sock.close();
          } else {
            sock.write(answer);
            sock.write(after);
            sock.close();
          }
        });
      });
      Await.result(server.listen(0, "127.0.0.1"));
      return new HandRolled(server, server.actualPort(), closed);
    }
  }
}
