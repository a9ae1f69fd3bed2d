package dev.groupcast.group;

import dev.groupcast.support.Await;
import dev.groupcast.support.TestCluster;
import dev.groupcast.support.WsClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Protocol v1 across a real 3-member cluster (one JVM, TCP-IP join on 127.0.0.1). Every test uses its
 * own group names, so tests do not see each other's traffic.
 */
@ExtendWith(VertxExtension.class)
class ClusterMessagingTest {

  static final int HISTORY_SIZE = 50;
  static final int MAX_MESSAGE_BYTES = 4096;
  static TestCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = TestCluster.start(3, Map.of(
        "GROUPCAST_HISTORY_SIZE", String.valueOf(HISTORY_SIZE),
        "GROUPCAST_LIMITS_MAX_MESSAGE_BYTES", String.valueOf(MAX_MESSAGE_BYTES)));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static WsClient client(Vertx vertx, int node) {
    return WsClient.connect(vertx, cluster.httpPort(node));
  }

  @Test
  void welcomeNamesTheSessionAndTheNode(Vertx vertx) {
    try (WsClient a = client(vertx, 0); WsClient b = client(vertx, 1)) {
      assertEquals("node1", a.welcome.getString("node"));
      assertEquals("node2", b.welcome.getString("node"));
      assertNotEquals(a.sessionId(), b.sessionId());
      assertEquals(new JsonObject().put("type", "pong").put("id", "r1"), a.ping());
    }
  }

  @Test
  void aMessagePublishedOnOneNodeReachesMembersOnEveryNode(Vertx vertx, VertxTestContext test) {
    WsClient a = client(vertx, 0);
    WsClient b = client(vertx, 1);
    WsClient publisher = client(vertx, 2);
    JsonObject joined = a.join("cross");
    String epoch = joined.getString("epoch");
    assertTrue(epoch != null && !epoch.isEmpty(), "joined names the stream's epoch: " + joined);
    assertEquals(new JsonObject().put("type", "joined").put("group", "cross").put("id", "r1").put("epoch", epoch)
        .put("seq", 0L), joined);
    assertEquals(epoch, b.join("cross").getString("epoch"), "one epoch, whichever node answers");
    publisher.join("cross");

    Checkpoint delivered = test.checkpoint(3);
    JsonObject body = new JsonObject().put("judge", "ann").put("score", 9.5);
    for (WsClient member : List.of(a, b, publisher)) {
      member.expect(f -> "message".equals(f.getString("type"))).onComplete(test.succeeding(m -> test.verify(() -> {
        assertEquals("cross", m.getString("group"));
        assertEquals(1L, m.getLong("seq"));
        assertEquals(publisher.sessionId(), m.getString("from"));
        assertEquals(body, m.getJsonObject("body"));
        assertTrue(Math.abs(System.currentTimeMillis() - m.getLong("ts")) < 60_000);
        delivered.flag();
      })));
    }
    JsonObject ack = publisher.publish("cross", body);
    assertEquals(new JsonObject().put("type", "ack").put("id", "r2").put("group", "cross").put("seq", 1L), ack);
    try {
      assertTrue(test.awaitCompletion(10, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    List.of(a, b, publisher).forEach(WsClient::close);
  }

  @Test
  void anyJsonValueIsABody(Vertx vertx) {
    try (WsClient a = client(vertx, 0); WsClient p = client(vertx, 1)) {
      a.join("bodies");
      List<Object> bodies = List.of("text", 42, 4.5, true, new JsonArray().add(1).add("x"), new JsonObject());
      for (Object body : bodies) {
        p.publish("bodies", body);
      }
      p.publishNoAck("bodies", null);
      for (Object body : bodies) {
        assertEquals(body, a.nextMessage("bodies").getValue("body"));
      }
      JsonObject last = a.nextMessage("bodies");
      assertTrue(last.containsKey("body"));
      assertNull(last.getValue("body"));
    }
  }

  @Test
  void onePublishersMessagesArriveInOrderEverywhere(Vertx vertx) {
    int count = 300;
    try (WsClient near = client(vertx, 0); WsClient far = client(vertx, 2); WsClient pub = client(vertx, 0)) {
      near.join("order");
      far.join("order");
      for (int i = 0; i < count; i++) {
        pub.publishNoAck("order", i);
      }
      for (WsClient member : List.of(near, far)) {
        long lastSeq = 0;
        for (int i = 0; i < count; i++) {
          JsonObject m = member.nextMessage("order");
          assertEquals(i, m.getInteger("body"), "publish order kept");
          assertTrue(m.getLong("seq") > lastSeq, "seq strictly increasing");
          lastSeq = m.getLong("seq");
        }
      }
    }
  }

  @Test
  void seqIsClusterWideAndEveryMemberSeesTheSameOrder(Vertx vertx) {
    int perPublisher = 100;
    try (WsClient p1 = client(vertx, 0); WsClient p2 = client(vertx, 1); WsClient p3 = client(vertx, 2);
         WsClient m1 = client(vertx, 0); WsClient m3 = client(vertx, 2)) {
      m1.join("seq");
      m3.join("seq");
      List<Future<JsonObject>> acks = new ArrayList<>();
      for (int i = 0; i < perPublisher; i++) {
        for (WsClient p : List.of(p1, p2, p3)) {
          String id = p.sessionId() + "-" + i;
          acks.add(p.expect(f -> id.equals(f.getString("id"))));
          p.send(new JsonObject().put("type", "publish").put("group", "seq").put("body", id).put("id", id));
        }
      }
      Set<Long> ackedSeqs = new HashSet<>();
      for (Future<JsonObject> ack : acks) {
        assertTrue(ackedSeqs.add(Await.result(ack).getLong("seq")), "distinct seqs");
      }
      int total = 3 * perPublisher;
      assertEquals(total, ackedSeqs.size());
      List<JsonObject> seen1 = m1.messages("seq", total);
      List<JsonObject> seen3 = m3.messages("seq", total);
      for (int i = 0; i < total; i++) {
        assertEquals(i + 1L, seen1.get(i).getLong("seq"), "contiguous, increasing, no gap");
        assertEquals(seen1.get(i), seen3.get(i), "both nodes deliver the same sequence");
      }
    }
  }

  @Test
  void leaveStopsDeliveryAndIsIdempotent(Vertx vertx) {
    try (WsClient leaver = client(vertx, 1); WsClient stayer = client(vertx, 1); WsClient pub = client(vertx, 0)) {
      leaver.join("leave");
      stayer.join("leave");
      pub.publish("leave", "before");
      assertEquals("before", leaver.nextMessage("leave").getString("body"));
      assertEquals(new JsonObject().put("type", "left").put("group", "leave").put("id", "r2"), leaver.leave("leave"));
      pub.publish("leave", "after");
      assertEquals("before", stayer.nextMessage("leave").getString("body"));
      assertEquals("after", stayer.nextMessage("leave").getString("body"));
      leaver.ping(); // the message was handed to this node's sessions before the pong
      assertTrue(leaver.inbox().stream().noneMatch(f -> "message".equals(f.getString("type"))), "no delivery after leave");
      assertEquals("left", leaver.leave("leave").getString("type"));
      assertEquals("left", leaver.leave("never-joined").getString("type"));
    }
  }

  @Test
  void resumeOnAnotherNodeGetsExactlyWhatWasMissed(Vertx vertx) {
    try (WsClient pub = client(vertx, 2)) {
      WsClient first = client(vertx, 0);
      first.join("resume");
      for (int i = 1; i <= 5; i++) {
        pub.publish("resume", "m" + i);
      }
      List<JsonObject> got = first.messages("resume", 5);
      long lastSeen = got.get(4).getLong("seq");
      first.close();

      for (int i = 6; i <= 12; i++) {
        pub.publish("resume", "m" + i);
      }
      try (WsClient again = client(vertx, 1)) {
        JsonObject joined = again.join("resume", lastSeen);
        assertEquals(12L, joined.getLong("seq"));
        assertEquals(true, joined.getBoolean("recovered"));
        pub.publish("resume", "m13");
        for (int i = 6; i <= 13; i++) {
          JsonObject m = again.nextMessage("resume");
          assertEquals("m" + i, m.getString("body"));
          assertEquals((long) i, m.getLong("seq"));
        }
        again.ping();
        assertTrue(again.inbox().stream().noneMatch(f -> "message".equals(f.getString("type"))), "no duplicates");
      }
    }
  }

  @Test
  void joinWithSinceRacingLivePublishesLosesAndDuplicatesNothing(Vertx vertx) {
    int count = 200;
    try (WsClient pub = client(vertx, 0); WsClient late = client(vertx, 1)) {
      for (int i = 0; i < 10; i++) {
        pub.publishNoAck("race", i);
      }
      pub.publish("race", 10); // seq 11 acked: the first 11 are in history
      for (int i = 11; i < count; i++) {
        pub.publishNoAck("race", i);
      }
      late.join("race", 0);
      // with since=0 and history of 50, the first ones are gone: recovered=false, and the rest in order
      List<Long> seqs = new ArrayList<>();
      long expectedNext = -1;
      for (int i = 0; i < HISTORY_SIZE; i++) {
        JsonObject m = late.nextMessage("race");
        if (expectedNext > 0) {
          assertEquals(expectedNext, m.getLong("seq"));
        }
        expectedNext = m.getLong("seq") + 1;
        seqs.add(m.getLong("seq"));
      }
      while (expectedNext <= count) {
        assertEquals(expectedNext, late.nextMessage("race").getLong("seq"));
        expectedNext++;
      }
      assertEquals(count + 1, expectedNext);
    }
  }

  @Test
  void historyKeepsTheLastHistorySizeMessages(Vertx vertx) {
    int total = HISTORY_SIZE + 10;
    try (WsClient pub = client(vertx, 0)) {
      for (int i = 1; i <= total; i++) {
        pub.publish("trim", i);
      }
      try (WsClient fromStart = client(vertx, 1)) {
        JsonObject joined = fromStart.join("trim", 0);
        assertEquals(false, joined.getBoolean("recovered"));
        assertEquals((long) total, joined.getLong("seq"));
        List<JsonObject> got = fromStart.messages("trim", HISTORY_SIZE);
        assertEquals(11L, got.get(0).getLong("seq"));
        assertEquals((long) total, got.get(HISTORY_SIZE - 1).getLong("seq"));
      }
      try (WsClient inRange = client(vertx, 2)) {
        JsonObject joined = inRange.join("trim", total - 5);
        assertEquals(true, joined.getBoolean("recovered"));
        assertEquals(List.of(56L, 57L, 58L, 59L, 60L),
            inRange.messages("trim", 5).stream().map(m -> m.getLong("seq")).toList());
      }
      try (WsClient ahead = client(vertx, 2)) {
        JsonObject joined = ahead.join("trim", total + 100);
        assertEquals(false, joined.getBoolean("recovered"), "a position beyond the group's latest seq is not recovered");
        pub.publish("trim", "live");
        JsonObject live = ahead.nextMessage("trim");
        assertEquals("live", live.getString("body"), "live traffic still flows after an impossible since");
        assertEquals(total + 1L, live.getLong("seq"));
      }
    }
  }

  @Test
  void badFramesGetErrorsAndTheConnectionKeepsServing(Vertx vertx) {
    try (WsClient c = client(vertx, 0)) {
      c.sendText("nonsense");
      assertEquals("bad_request", c.nextOfType("error").getString("code"));
      c.sendText("{\"type\":\"dance\",\"id\":\"d1\"}");
      JsonObject unknown = c.nextOfType("error");
      assertEquals("unknown_type", unknown.getString("code"));
      assertEquals("d1", unknown.getString("id"));
      JsonObject invalid = c.request(new JsonObject().put("type", "join").put("group", "no spaces"));
      assertEquals("invalid_group", invalid.getString("code"));
      c.sendText("{\"type\":\"publish\",\"group\":\"g\",\"body\":\"" + "x".repeat(MAX_MESSAGE_BYTES) + "\"}");
      assertEquals("too_large", c.nextOfType("error").getString("code"));
      assertEquals("pong", c.ping().getString("type"));
      assertFalse(c.isClosed());
    }
  }

  @Test
  void aBinaryFrameIsRefusedWithAnError(Vertx vertx) {
    WsClient c = client(vertx, 0);
    Future<JsonObject> error = c.expect(f -> "error".equals(f.getString("type")));
    c.welcome.getString("session");
    io.vertx.core.http.WebSocketClient rawClient = vertx.createWebSocketClient();
    io.vertx.core.http.WebSocket raw = Await.result(rawClient.connect(cluster.httpPort(0), "127.0.0.1", "/ws"));
    List<JsonObject> frames = new ArrayList<>();
    io.vertx.core.Promise<Void> gotError = io.vertx.core.Promise.promise();
    raw.textMessageHandler(t -> {
      JsonObject f = new JsonObject(t);
      frames.add(f);
      if ("error".equals(f.getString("type"))) {
        gotError.tryComplete();
      }
    });
    Await.result(raw.writeBinaryMessage(Buffer.buffer(new byte[] {1, 2, 3})));
    Await.result(gotError.future());
    assertEquals("bad_request", frames.get(frames.size() - 1).getString("code"));
    assertFalse(raw.isClosed());
    Await.result(raw.close());
    rawClient.close();
    c.close();
    assertFalse(error.isComplete(), "a binary frame on one connection does not touch another");
  }

  @Test
  void aFrameFarOverTheLimitClosesWith1009(Vertx vertx) {
    WsClient c = client(vertx, 0);
    c.sendText("{\"type\":\"publish\",\"group\":\"g\",\"body\":\"" + "x".repeat(3 * MAX_MESSAGE_BYTES) + "\"}");
    assertEquals((short) 1009, c.awaitClose());
  }

  /**
   * A 4 MiB message, still being sent when the server refuses it: the client gets the 1009 close
   * frame every time, never a reset (1006) from a socket closed over unread input.
   */
  @Test
  void aHugeMessageIsRefusedWithACloseFrameEveryTime(Vertx vertx) {
    String huge = "{\"type\":\"publish\",\"group\":\"g\",\"body\":\"" + "x".repeat(4 << 20) + "\"}";
    java.util.List<Short> codes = new java.util.ArrayList<>();
    for (int i = 0; i < 10; i++) {
      WsClient c = client(vertx, i % 3);
      c.sendTextUnconfirmed(huge);
      codes.add(c.awaitClose());
    }
    assertEquals(java.util.Collections.nCopies(10, (short) 1009), codes);
  }

  @Test
  void serverCodePublishingOnTheGroupAddressGoesThroughThePublishPath(Vertx vertx) {
    try (WsClient member = client(vertx, 1)) {
      member.join("server");
      Vertx node1 = cluster.node(0).vertx();
      node1.eventBus().publish("group.server", new JsonObject().put("alert", "halt"));
      JsonObject m = member.nextMessage("server");
      assertEquals("server", m.getString("from"));
      assertEquals(new JsonObject().put("alert", "halt"), m.getJsonObject("body"));

      Message<Object> reply = Await.result(node1.eventBus().request("group.server", "named",
          new DeliveryOptions().addHeader(GroupHub.FROM_HEADER, "scoreboard")));
      long seq = ((JsonObject) reply.body()).getLong("seq");
      JsonObject named = member.nextMessage("server");
      assertEquals(seq, named.getLong("seq"));
      assertEquals("scoreboard", named.getString("from"));
      assertEquals(m.getLong("seq") + 1, seq);
    }
  }

  @Test
  void httpApiPublishesAndListsHistory(Vertx vertx) {
    WebClient http = WebClient.create(vertx);
    int port = cluster.httpPort(2);
    try (WsClient member = client(vertx, 0)) {
      member.join("api");
      HttpResponse<Buffer> posted = Await.result(http.post(port, "127.0.0.1", "/api/groups/api/messages")
          .sendJsonObject(new JsonObject().put("score", 7)));
      assertEquals(202, posted.statusCode());
      assertEquals(new JsonObject().put("seq", 1L), posted.bodyAsJsonObject());
      JsonObject m = member.nextMessage("api");
      assertEquals("api", m.getString("from"));
      assertEquals(new JsonObject().put("score", 7), m.getJsonObject("body"));

      Await.result(http.post(port, "127.0.0.1", "/api/groups/api/messages").sendBuffer(Buffer.buffer("[1,2]")));
      HttpResponse<Buffer> history = Await.result(http.get(port, "127.0.0.1", "/api/groups/api/history?since=1").send());
      assertEquals(200, history.statusCode());
      JsonObject h = history.bodyAsJsonObject();
      assertEquals("api", h.getString("group"));
      assertEquals(1, h.getJsonArray("messages").size());
      JsonObject listed = h.getJsonArray("messages").getJsonObject(0);
      assertEquals(2L, listed.getLong("seq"));
      assertEquals(new JsonArray().add(1).add(2), listed.getJsonArray("body"));
      assertEquals(Set.of("group", "seq", "from", "body", "ts"), listed.fieldNames());
      assertEquals(2, Await.result(http.get(port, "127.0.0.1", "/api/groups/api/history").send())
          .bodyAsJsonObject().getJsonArray("messages").size());
    }
  }

  @Test
  void aRepeatedPublishKeyIsStoredOnceAndAnsweredAsADuplicateOnAnyNode(Vertx vertx) {
    WebClient http = WebClient.create(vertx);
    try (WsClient member = client(vertx, 0); WsClient publisher = client(vertx, 1)) {
      member.join("keys");
      HttpResponse<Buffer> first = Await.result(http.post(cluster.httpPort(2), "127.0.0.1", "/api/groups/keys/messages")
          .putHeader("Idempotency-Key", "order-17").sendJsonObject(new JsonObject().put("n", 1)));
      assertEquals(202, first.statusCode(), first.bodyAsString());
      long seq = first.bodyAsJsonObject().getLong("seq");
      // the same key again, through another node: nothing stored, the first seq
      HttpResponse<Buffer> again = Await.result(http.post(cluster.httpPort(0), "127.0.0.1", "/api/groups/keys/messages")
          .putHeader("Idempotency-Key", "order-17").sendJsonObject(new JsonObject().put("n", 1)));
      assertEquals(202, again.statusCode());
      assertEquals(new JsonObject().put("seq", seq).put("duplicate", true), again.bodyAsJsonObject());
      // and as a frame key
      JsonObject ack = publisher.request(new JsonObject().put("type", "publish").put("group", "keys")
          .put("body", 2).put("key", "order-18"));
      JsonObject dup = publisher.request(new JsonObject().put("type", "publish").put("group", "keys")
          .put("body", 2).put("key", "order-18"));
      assertEquals(seq + 1, ack.getLong("seq"));
      assertEquals(ack.getLong("seq"), dup.getLong("seq"));
      assertEquals(true, dup.getBoolean("duplicate"), dup.encode());
      assertEquals(seq, member.nextMessage("keys").getLong("seq"));
      assertEquals(seq + 1, member.nextMessage("keys").getLong("seq"));
      member.ping();
      assertTrue(member.inbox().stream().noneMatch(f -> "message".equals(f.getString("type"))),
          "each key delivered once: " + member.inbox());
      assertError(http.post(cluster.httpPort(0), "127.0.0.1", "/api/groups/keys/messages")
          .putHeader("Idempotency-Key", "k".repeat(129)).sendBuffer(Buffer.buffer("1")), 400, "bad_request");
    }
  }

  /**
   * The fan-out path takes only batches that fit a feed: one with a seq far past the stream (10^12),
   * seqs out of order or a bad group name, sent to a node's feed address by anyone on the bus, is
   * dropped and counted; the group's members never see it and keep getting the real stream.
   */
  @Test
  void aFanOutBatchThatFitsNoFeedIsDroppedAndCounted(Vertx vertx) {
    try (WsClient member = client(vertx, 0); WsClient publisher = client(vertx, 1)) {
      JsonObject joined = member.join("fit");
      String epoch = joined.getString("epoch");
      long latest = joined.getLong("seq");
      String feed = FanOut.address(cluster.node(0).hub().localBusId());
      io.vertx.core.eventbus.DeliveryOptions codec = new io.vertx.core.eventbus.DeliveryOptions()
          .setCodecName(FeedBatch.Codec.NAME);
      java.util.function.LongFunction<OutFrame> forged =
          seq -> Frames.message("fit", seq, "admin", "{\"forged\":true}", System.currentTimeMillis());
      double before = forbiddenCount(vertx, 0);
      io.vertx.core.eventbus.EventBus bus = cluster.node(1).vertx().eventBus();
      bus.send(feed, new FeedBatch("fit", epoch, new long[] {1_000_000_000_000L}, new long[] {0},
          new OutFrame[] {forged.apply(1_000_000_000_000L)}), codec);
      bus.send(feed, new FeedBatch("fit", epoch, new long[] {latest + 2, latest + 1}, new long[] {0, 0},
          new OutFrame[] {forged.apply(latest + 2), forged.apply(latest + 1)}), codec);
      bus.send(feed, new FeedBatch("bad name", epoch, new long[] {latest + 1}, new long[] {0},
          new OutFrame[] {forged.apply(latest + 1)}), codec);
      Await.until("three forged batches counted", 10, () -> forbiddenCount(vertx, 0) >= before + 3);
      long seq = publisher.publish("fit", "real").getLong("seq");
      JsonObject next = member.nextMessage("fit");
      assertEquals(seq, next.getLong("seq"));
      assertEquals("real", next.getString("body"));
      member.ping();
      assertTrue(member.inbox().stream().noneMatch(f -> "admin".equals(f.getString("from"))), member.inbox().toString());
    }
  }

  /**
   * The messages of one fan-out batch that are next in line go to each member of a node together, in
   * one write of their frames back to back: each member reads them as separate messages, in order,
   * whatever their lengths (a body past 125 bytes takes a longer frame header).
   */
  @Test
  void aFanOutBatchOfSeveralMessagesReachesEachMemberAsSeparateMessagesInOrder(Vertx vertx) {
    try (WsClient first = client(vertx, 0); WsClient second = client(vertx, 0)) {
      JsonObject joined = first.join("run");
      second.join("run");
      long latest = joined.getLong("seq");
      List<String> bodies = List.of("one", "x".repeat(300), "three");
      long[] seqs = new long[bodies.size()];
      OutFrame[] frames = new OutFrame[bodies.size()];
      for (int i = 0; i < bodies.size(); i++) {
        seqs[i] = latest + 1 + i;
        frames[i] = Frames.message("run", seqs[i], "server", "\"" + bodies.get(i) + "\"", System.currentTimeMillis());
      }
      // as the node that appended them fans them out (a feed cannot tell: seqs and epoch fit)
      cluster.node(1).vertx().eventBus().send(FanOut.address(cluster.node(0).hub().localBusId()),
          new FeedBatch("run", joined.getString("epoch"), seqs, new long[bodies.size()], frames),
          new io.vertx.core.eventbus.DeliveryOptions().setCodecName(FeedBatch.Codec.NAME));
      for (WsClient member : List.of(first, second)) {
        for (int i = 0; i < bodies.size(); i++) {
          JsonObject m = member.nextMessage("run");
          assertEquals(seqs[i], m.getLong("seq"));
          assertEquals(bodies.get(i), m.getString("body"));
        }
      }
    }
  }

  /**
   * A message whose fan-out never reached a node (stored, its batch to this node lost, and no later
   * message to reveal the gap) reaches the members there through the periodic check of the feeds
   * against the log, every group caught up.
   */
  @Test
  void messagesWhoseFanOutWasLostReachMembersThroughThePeriodicCheck(Vertx vertx) {
    List<String> groups = List.of("unfanned-0", "unfanned-1", "unfanned-2");
    try (WsClient member = client(vertx, 0)) {
      for (String group : groups) {
        member.join(group);
      }
      // stored as the sequencer stores a batch, but never fanned out: lost on its way to every node
      dev.groupcast.group.log.GroupStore store = cluster.node(1).hub().store();
      Map<String, Long> stored = new java.util.HashMap<>();
      for (String group : groups) {
        dev.groupcast.group.log.Appended appended = Await.result(store.append(group, "test", 1,
            List.of(new dev.groupcast.group.log.Publication("server", "\"unfanned\"", System.currentTimeMillis(), null)),
            0, List.of()));
        stored.put(group, appended.seq(0));
      }
      long start = System.currentTimeMillis();
      for (String group : groups) {
        JsonObject message = Await.result(member.expect(f -> "message".equals(f.getString("type"))
            && group.equals(f.getString("group"))), 20);
        assertEquals(stored.get(group), message.getLong("seq"), group);
        assertEquals("unfanned", message.getString("body"));
      }
      long tookMs = System.currentTimeMillis() - start;
      // the check runs every 5 s and a read withholds messages younger than 3 s: well within 12 s
      assertTrue(tookMs < 12_000, "caught up by the periodic check, took " + tookMs + " ms");
    }
  }

  private static double forbiddenCount(Vertx vertx, int node) {
    String metrics = Await.result(WebClient.create(vertx).get(cluster.httpPort(node), "127.0.0.1", "/metrics").send())
        .bodyAsString();
    return metrics.lines().filter(l -> l.startsWith("groupcast_errors_total{") && l.contains("code=\"forbidden\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  @Test
  void httpApiAnswersBadInputWithJsonErrors(Vertx vertx) {
    WebClient http = WebClient.create(vertx);
    int port = cluster.httpPort(0);
    assertError(http.post(port, "127.0.0.1", "/api/groups/api-bad/messages").sendBuffer(Buffer.buffer("{oops")),
        400, "bad_request");
    assertError(http.post(port, "127.0.0.1", "/api/groups/api-bad/messages").send(), 400, "bad_request");
    assertError(http.post(port, "127.0.0.1", "/api/groups/bad%20name/messages").sendBuffer(Buffer.buffer("1")),
        400, "invalid_group");
    assertError(http.post(port, "127.0.0.1", "/api/groups/api-bad/messages")
        .sendBuffer(Buffer.buffer("\"" + "x".repeat(MAX_MESSAGE_BYTES + 1) + "\"")), 413, "too_large");
    assertError(http.get(port, "127.0.0.1", "/api/groups/api-bad/history?since=-4").send(), 400, "bad_request");
    assertError(http.get(port, "127.0.0.1", "/api/groups/api-bad/history?since=x").send(), 400, "bad_request");
    assertError(http.get(port, "127.0.0.1", "/api/nothing").send(), 404, "not_found");
    assertError(http.request(HttpMethod.DELETE, port, "127.0.0.1", "/api/groups/g/messages").send(), 404, "not_found");
    assertError(http.get(port, "127.0.0.1", "/ws").send(), 426, "bad_request");
  }

  private static void assertError(Future<HttpResponse<Buffer>> response, int status, String code) {
    HttpResponse<Buffer> r = Await.result(response);
    assertEquals(status, r.statusCode(), r.bodyAsString());
    assertEquals(code, r.bodyAsJsonObject().getString("code"));
    assertTrue(r.bodyAsJsonObject().getString("message").length() > 3);
  }

  @Test
  void healthEndpoints(Vertx vertx) {
    WebClient http = WebClient.create(vertx);
    HttpResponse<Buffer> live = Await.result(http.get(cluster.httpPort(1), "127.0.0.1", "/health/live").send());
    assertEquals(200, live.statusCode());
    HttpResponse<Buffer> ready = Await.result(http.get(cluster.httpPort(1), "127.0.0.1", "/health/ready").send());
    assertEquals(200, ready.statusCode());
    assertEquals("ready", ready.bodyAsJsonObject().getString("status"));
  }
}
