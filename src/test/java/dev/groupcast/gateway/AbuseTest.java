package dev.groupcast.gateway;

import dev.groupcast.support.Await;
import dev.groupcast.support.TestCluster;
import dev.groupcast.support.WsClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad and abusive input on a node with the default limits: every request answered, everyone else served. */
@ExtendWith(VertxExtension.class)
class AbuseTest {

  static TestCluster cluster;
  static int port;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(1, Map.of("GROUPCAST_LIMITS_PUBLISH_RATE", "100",
        "GROUPCAST_LIMITS_API_RATE", "100", "GROUPCAST_LIMITS_API_BURST", "200"));
    port = cluster.httpPort(0);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void randomFramesEachGetAnAnswerAndTheSessionStaysConsistent(Vertx vertx) {
    Random random = new Random(42);
    String[] types = {"join", "leave", "publish", "ping", "auth", "dance", "JOIN", ""};
    String[] groups = {"g1", "g2", "bad group", "", "x".repeat(200), "ok:1"};
    try (WsClient c = WsClient.connect(vertx, port)) {
      List<Future<JsonObject>> answers = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        String id = "f" + i;
        JsonObject frame = new JsonObject().put("id", id).put("type", types[random.nextInt(types.length)]);
        if (random.nextInt(4) > 0) {
          frame.put("group", groups[random.nextInt(groups.length)]);
        }
        if (random.nextBoolean()) {
          frame.put("body", random.nextBoolean() ? new JsonObject().put("n", i) : null);
        }
        if (random.nextInt(5) == 0) {
          frame.put("since", random.nextBoolean() ? random.nextInt(10) : -3);
        }
        if (random.nextInt(6) == 0) {
          frame.put("token", "garbage");
        }
        answers.add(c.expect(f -> id.equals(f.getValue("id"))));
        c.send(frame);
      }
      int errors = 0;
      for (Future<JsonObject> a : answers) {
        JsonObject answer = Await.result(a);
        if ("error".equals(answer.getString("type"))) {
          errors++;
          assertTrue(List.of("bad_request", "unknown_type", "invalid_group", "unauthorized", "rate_limited", "forbidden")
              .contains(answer.getString("code")), answer.encode());
        }
      }
      assertTrue(errors > 50 && errors < 400, "a mix of answers and errors: " + errors);
      assertFalse(c.isClosed());
      // still consistent: it can join, publish, receive and leave normally
      c.leave("g1");
      assertEquals("joined", c.join("g1").getString("type"));
      assertEquals("ack", c.publishOnceServed("g1", "after the storm", 5).getString("type"),
          "served again once the budget refills after the burst above");
      assertEquals("after the storm", c.next(f -> "message".equals(f.getString("type"))
          && "after the storm".equals(f.getValue("body"))).getString("body"));
    }
  }

  @Test
  void joinsDrawOnTheBudgetAndLeavesAreNeverRefused(Vertx vertx) {
    try (WsClient c = WsClient.connect(vertx, port)) {
      List<Future<JsonObject>> answers = new ArrayList<>();
      for (int i = 0; i < 300; i++) { // join-leave churn over fresh names: each join may cost a cluster write
        String join = "j" + i;
        String leave = "l" + i;
        answers.add(c.expect(f -> join.equals(f.getValue("id"))));
        answers.add(c.expect(f -> leave.equals(f.getValue("id"))));
        c.send(new JsonObject().put("type", "join").put("group", "churn-" + i).put("id", join));
        c.send(new JsonObject().put("type", "leave").put("group", "churn-" + i).put("id", leave));
      }
      List<JsonObject> all = answers.stream().map(Await::result).toList();
      long refusedJoins = all.stream().filter(a -> "error".equals(a.getString("type"))
          && "rate_limited".equals(a.getString("code"))).count();
      long left = all.stream().filter(a -> "left".equals(a.getString("type"))).count();
      assertTrue(refusedJoins > 0 && refusedJoins < 300, "some joins refused past the budget: " + refusedJoins);
      assertEquals(300, left, "every leave answered");
    }
  }

  @Test
  void theHttpApiAndTheBridgeHaveABudgetToo(Vertx vertx) {
    io.vertx.ext.web.client.WebClient http = io.vertx.ext.web.client.WebClient.create(vertx);
    List<Future<io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer>>> answers = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      answers.add(http.get(port, "127.0.0.1", "/api/groups/random-" + i + "/history").send());
    }
    List<io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer>> got = answers.stream().map(Await::result).toList();
    long limited = got.stream().filter(r -> r.statusCode() == 429).count();
    assertTrue(limited > 0 && limited < 300, "past the burst, 429: " + limited);
    io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer> one = got.stream()
        .filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
    assertEquals("rate_limited", one.bodyAsJsonObject().getString("code"));

    try (dev.groupcast.support.SockJsClient bridge = dev.groupcast.support.SockJsClient.open(vertx, port, "/eventbus",
        dev.groupcast.support.SockJsClient.Transport.WEBSOCKET)) {
      for (int i = 0; i < 300; i++) {
        bridge.send(new JsonObject().put("type", "publish").put("address", "group.bridge-flood").put("body", i));
      }
      JsonObject err = bridge.nextOfType("err");
      assertEquals("rate_limited", err.getString("body"));
    }
  }

  @Test
  void presenceQueriesShareThePublishBudget(Vertx vertx) {
    try (WsClient c = WsClient.connect(vertx, port)) {
      List<Future<JsonObject>> answers = new ArrayList<>();
      for (int i = 0; i < 300; i++) { // burst 200 (the default), rate 100/s: the last ones are refused
        String id = "p" + i;
        answers.add(c.expect(f -> id.equals(f.getValue("id"))));
        c.send(new JsonObject().put("type", "presence").put("group", "lobby").put("id", id));
      }
      long refused = answers.stream().map(Await::result)
          .filter(a -> "error".equals(a.getString("type")) && "rate_limited".equals(a.getString("code"))).count();
      assertTrue(refused > 0 && refused < 300, "some queries answered, the rest refused: " + refused);
      assertFalse(c.isClosed());
    }
  }

  @Test
  void aFloodingClientDoesNotStopTheNodeServingOthers(Vertx vertx) {
    try (WsClient flooder = WsClient.connect(vertx, port); WsClient judge = WsClient.connect(vertx, port);
         WsClient other = WsClient.connect(vertx, port)) {
      judge.join("calm");
      for (int i = 0; i < 20_000 && !flooder.isClosed(); i++) {
        try {
          flooder.publishNoAck("flood", i); // as fast as it can: most are refused with rate_limited
        } catch (AssertionError e) {
          if (!flooder.isClosed()) {
            throw e;
          } // closed as a slow consumer mid-flood: checked below
        }
      }
      long worst = 0;
      for (int i = 0; i < 10; i++) {
        long start = System.nanoTime();
        assertEquals("pong", other.ping().getString("type"));
        other.publish("calm", i);
        assertEquals(i, judge.nextMessage("calm").getInteger("body"));
        worst = Math.max(worst, (System.nanoTime() - start) / 1_000_000);
      }
      assertTrue(worst < 2000, "others keep being served promptly during the flood: worst " + worst + " ms");
      // the flooder is refused (rate_limited) and, as it does not read its answers either, may be
      // disconnected as a slow consumer (1013): both keep the node's memory bounded
      if (flooder.isClosed()) {
        assertEquals((short) 1013, flooder.awaitClose());
      } else {
        assertEquals("rate_limited", flooder.next(f -> "error".equals(f.getString("type"))).getString("code"));
      }
    }
  }

  /**
   * Refusals past the API budget are held (a tarpit) for 0.5 to 1.5 s, spread over that window: held
   * together they would all come back in one instant, and so would the client's next requests, a burst
   * every second on the loops that carry everyone else's messages (it tripled the flood test's p99).
   */
  @Test
  void refusalsHeldByTheTarpitComeBackSpreadOut(Vertx vertx) {
    io.vertx.ext.web.client.WebClient http = io.vertx.ext.web.client.WebClient.create(vertx,
        new io.vertx.ext.web.client.WebClientOptions(), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(400));
    long start = System.nanoTime();
    List<Future<Long>> refusedAfterMs = new ArrayList<>();
    for (int i = 0; i < 400; i++) { // burst 200: at least 200 refused
      refusedAfterMs.add(http.get(port, "127.0.0.1", "/api/groups/tarpit-" + i + "/history").send()
          .map(r -> r.statusCode() == 429 ? (System.nanoTime() - start) / 1_000_000 : -1L));
    }
    List<Long> refused = refusedAfterMs.stream().map(f -> Await.result(f, 30)).filter(ms -> ms >= 0).sorted().toList();
    assertTrue(refused.size() >= 100, "refused past the burst: " + refused.size());
    long first = refused.get(0);
    long last = refused.get(refused.size() - 1);
    assertTrue(first >= 400, "held before the answer: the first refusal after " + first + " ms");
    assertTrue(last - first >= 500, "spread over the window, not at once: " + first + " to " + last + " ms");
    http.close();
  }

  /**
   * A bridge client floods register and unregister frames (refused past its budget, so the node stops
   * reading it: its input queues) and drops the connection. What it queued is discarded with it: the
   * node neither handles those frames against the state it cleared at the close (one exception per
   * frame in vertx-web's bridge, logged with a stack trace each, which stalled the loop for a second
   * in the flood test) nor counts an internal error.
   */
  @Test
  void aBridgeSocketDroppedWithInputQueuedCostsTheNodeNothingMore(Vertx vertx) {
    double before = metric(vertx, "groupcast_errors_total{code=\"internal\"}");
    io.vertx.core.net.NetClient net = vertx.createNetClient();
    io.vertx.core.net.NetSocket raw = Await.result(net.connect(port, "127.0.0.1"));
    io.vertx.core.buffer.Buffer got = io.vertx.core.buffer.Buffer.buffer();
    io.vertx.core.Promise<Void> upgraded = io.vertx.core.Promise.promise();
    io.vertx.core.Promise<Void> closed = io.vertx.core.Promise.promise();
    raw.handler(b -> {
      got.appendBuffer(b);
      if (got.toString().contains("\r\n\r\n")) {
        upgraded.tryComplete();
      }
    });
    raw.closeHandler(v -> closed.tryComplete());
    raw.write("GET /eventbus/websocket HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    Await.result(upgraded.future());
    assertTrue(got.toString().startsWith("HTTP/1.1 101"), got.toString());
    // admitted (the bridge reads only once its hook let the socket in)
    String bridges = "groupcast_connections{transport=\"eventbus\"}";
    Await.until("the bridge socket admitted", 10, () -> metric(vertx, bridges) >= 1);
    double open = metric(vertx, bridges);
    io.vertx.core.buffer.Buffer frames = io.vertx.core.buffer.Buffer.buffer();
    for (int i = 0; i < 5000; i++) {
      String type = i % 2 == 0 ? "register" : "unregister";
      frames.appendBuffer(maskedText("{\"type\":\"" + type + "\",\"address\":\"group.queued-" + (i / 2) + "\"}"));
    }
    Await.result(raw.write(frames));
    Await.until("the refusals are coming", 10, () -> got.toString().contains("rate_limited"));
    Await.result(raw.close());
    Await.result(closed.future());
    Await.until("the node saw the bridge socket go", 10, () -> metric(vertx, bridges) < open);
    // the queued frames would be handled within a pause (10 ms at this budget); watch well past that
    long deadline = System.nanoTime() + 2_000_000_000L;
    while (System.nanoTime() < deadline) {
      assertEquals(before, metric(vertx, "groupcast_errors_total{code=\"internal\"}"),
          "no frame of the dropped socket handled after its close");
    }
    net.close();
  }

  /** A client's text frame: masked (with a zero key, so the payload reads as is), as RFC 6455 asks. */
  private static io.vertx.core.buffer.Buffer maskedText(String text) {
    byte[] payload = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    io.vertx.core.buffer.Buffer frame = io.vertx.core.buffer.Buffer.buffer().appendByte((byte) 0x81);
    if (payload.length < 126) {
      frame.appendByte((byte) (0x80 | payload.length));
    } else {
      frame.appendByte((byte) (0x80 | 126)).appendShort((short) payload.length);
    }
    return frame.appendInt(0).appendBytes(payload);
  }

  private static double metric(Vertx vertx, String series) {
    String metrics = Await.result(io.vertx.ext.web.client.WebClient.create(vertx)
        .get(port, "127.0.0.1", "/metrics").send()).bodyAsString();
    return metrics.lines().filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }
}
