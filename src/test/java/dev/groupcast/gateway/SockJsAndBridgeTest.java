package dev.groupcast.gateway;

import dev.groupcast.support.Await;
import dev.groupcast.support.SockJsClient;
import dev.groupcast.support.SockJsClient.Transport;
import dev.groupcast.support.TestCluster;
import dev.groupcast.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /sockjs} (protocol v1) over each SockJS transport, and the {@code /eventbus} bridge, on 2 nodes. */
@ExtendWith(VertxExtension.class)
class SockJsAndBridgeTest {

  static TestCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = TestCluster.start(2, Map.of());
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void sockJsSpeaksProtocolV1AcrossNodes(Transport transport, Vertx vertx) {
    String group = "sockjs-" + transport.name().toLowerCase();
    try (SockJsClient sock = SockJsClient.v1(vertx, cluster.httpPort(0), transport);
         WsClient ws = WsClient.connect(vertx, cluster.httpPort(1))) {
      assertEquals("node1", sock.welcome.getString("node"));
      JsonObject first = sock.join(group);
      assertEquals(new JsonObject().put("type", "joined").put("group", group).put("id", "r1")
          .put("epoch", first.getString("epoch")).put("seq", 0L), first);
      assertEquals(first.getString("epoch"), ws.join(group).getString("epoch"), "the same stream on both nodes");

      ws.publish(group, new JsonObject().put("from", "ws"));
      JsonObject fromWs = sock.nextMessage(group);
      assertEquals(ws.sessionId(), fromWs.getString("from"));
      assertEquals(1L, fromWs.getLong("seq"));

      JsonObject ack = sock.publish(group, "from sockjs");
      assertEquals("ack", ack.getString("type"));
      assertEquals(2L, ack.getLong("seq"));
      ws.nextMessage(group); // its own
      JsonObject fromSock = ws.nextMessage(group);
      assertEquals(sock.sessionId(), fromSock.getString("from"));
      assertEquals("from sockjs", fromSock.getString("body"));
      assertEquals(2L, sock.nextMessage(group).getLong("seq"), "the publisher, a member, gets it too");

      sock.sendText("not json");
      assertEquals("bad_request", sock.nextOfType("error").getString("code"));
      assertEquals("invalid_group", sock.request(new JsonObject().put("type", "join").put("group", "a b"))
          .getString("code"));
      assertEquals("pong", sock.ping().getString("type"));

      sock.leave(group);
      try (SockJsClient resumed = SockJsClient.v1(vertx, cluster.httpPort(1), transport)) {
        JsonObject joined = resumed.join(group, 0);
        assertEquals(true, joined.getBoolean("recovered"));
        assertEquals(1L, resumed.nextMessage(group).getLong("seq"));
        assertEquals(2L, resumed.nextMessage(group).getLong("seq"));
      }
    }
  }

  @Test
  void iframeTransportsLoadSockJsFromTheNodeNotACdn(Vertx vertx) {
    WebClient http = WebClient.create(vertx);
    for (String prefix : new String[] {"/sockjs", "/eventbus"}) {
      String iframe = Await.result(http.get(cluster.httpPort(0), "127.0.0.1", prefix + "/iframe.html").send())
          .bodyAsString();
      assertTrue(iframe.contains("src=\"/vendor/sockjs.min.js\""), iframe);
    }
    HttpResponse<Buffer> library = Await.result(http.get(cluster.httpPort(0), "127.0.0.1", "/vendor/sockjs.min.js").send());
    assertEquals(200, library.statusCode());
    assertTrue(library.bodyAsString().contains("SockJS"));
    HttpResponse<Buffer> bridgeClient = Await.result(http.get(cluster.httpPort(0), "127.0.0.1", "/vendor/vertx-eventbus.js").send());
    assertEquals(200, bridgeClient.statusCode());
    assertTrue(bridgeClient.bodyAsString().contains("EventBus"));
  }

  @Test
  void bridgePermitsGroupAddressesOnly(Vertx vertx) {
    try (SockJsClient bridge = SockJsClient.open(vertx, cluster.httpPort(0), "/eventbus", Transport.WEBSOCKET)) {
      for (JsonObject refused : new JsonObject[] {
          new JsonObject().put("type", "register").put("address", "other.address"),
          new JsonObject().put("type", "publish").put("address", "other.address").put("body", 1),
          new JsonObject().put("type", "send").put("address", "__vertx.reply.1").put("body", 1),
          new JsonObject().put("type", "publish").put("address", "group.bad name").put("body", 1),
          new JsonObject().put("type", "register").put("address", "group." + "x".repeat(129)),
          new JsonObject().put("type", "publish").put("address", "groupx").put("body", 1)}) {
        bridge.send(refused);
        JsonObject err = bridge.nextOfType("err");
        assertEquals("access_denied", err.getString("body"), refused.encode());
      }
    }
  }

  @Test
  void bridgeAndProtocolClientsExchangeMessagesAcrossNodes(Vertx vertx) {
    String group = "bridged";
    try (SockJsClient bridge = SockJsClient.open(vertx, cluster.httpPort(0), "/eventbus", Transport.WEBSOCKET);
         WsClient ws = WsClient.connect(vertx, cluster.httpPort(1));
         SockJsClient sock = SockJsClient.v1(vertx, cluster.httpPort(1), Transport.XHR_STREAMING)) {
      ws.join(group);
      sock.join(group);
      bridge.register("group." + group);
      // a round trip through the bridge's node: the registration is in place before anyone publishes
      bridge.send(new JsonObject().put("type", "send").put("address", "group." + group)
          .put("body", new JsonObject().put("hello", "bridge")).put("replyAddress", "reply-1")
          .put("headers", new JsonObject().put("from", "forged-judge")));
      JsonObject reply = bridge.next(f -> "reply-1".equals(f.getString("address")));
      long firstSeq = reply.getJsonObject("body").getLong("seq");

      JsonObject atWs = ws.nextMessage(group);
      assertEquals(firstSeq, atWs.getLong("seq"));
      assertEquals(new JsonObject().put("hello", "bridge"), atWs.getJsonObject("body"));
      assertTrue(atWs.getString("from").startsWith("bridge-"), "the bridge stamps from: " + atWs);
      assertEquals(atWs, sock.nextMessage(group));

      JsonObject ownEcho = bridge.next(f -> "rec".equals(f.getString("type")) && ("group." + group).equals(f.getString("address")));
      assertEquals(atWs.copy().put("type", "message"), new JsonObject().put("type", "message")
          .mergeIn(ownEcho.getJsonObject("body")));

      ws.publish(group, new JsonObject().put("score", 10));
      JsonObject rec = bridge.next(f -> "rec".equals(f.getString("type")));
      JsonObject body = rec.getJsonObject("body");
      assertEquals(Set.of("group", "seq", "from", "body", "ts"), body.fieldNames());
      assertEquals(group, body.getString("group"));
      assertEquals(firstSeq + 1, body.getLong("seq"));
      assertEquals(ws.sessionId(), body.getString("from"));
      assertEquals(new JsonObject().put("score", 10), body.getJsonObject("body"));

      bridge.send(new JsonObject().put("type", "publish").put("address", "group." + group).put("body", "plain"));
      JsonObject plain = sock.next(f -> "message".equals(f.getString("type")) && "plain".equals(f.getValue("body")));
      assertEquals(firstSeq + 2, plain.getLong("seq"));
    }
  }

  /**
   * A bridge client dresses a publish up as one of the nodes' own deliveries (the internal header,
   * a seq, a from): it is sequenced like any publish, from the bridge connection, and every member,
   * on both nodes and on every transport, sees only real messages; the group goes on delivering.
   */
  @Test
  void aForgedDeliveryIsJustAPublish(Vertx vertx) {
    String group = "forge-1";
    try (SockJsClient forger = SockJsClient.open(vertx, cluster.httpPort(0), "/eventbus", Transport.WEBSOCKET);
         SockJsClient listener = SockJsClient.open(vertx, cluster.httpPort(1), "/eventbus", Transport.WEBSOCKET);
         WsClient ws = WsClient.connect(vertx, cluster.httpPort(1))) {
      long first = ws.join(group).getLong("seq");
      listener.register("group." + group);
      listener.send(new JsonObject().put("type", "send").put("address", "group." + group).put("body", "ready")
          .put("replyAddress", "ready-1"));
      listener.next(f -> "ready-1".equals(f.getString("address")));
      JsonObject forged = new JsonObject().put("group", group).put("seq", 1_000_000_000_000L).put("from", "admin")
          .put("body", new JsonObject().put("forged", true)).put("ts", 1);
      forger.send(new JsonObject().put("type", "publish").put("address", "group." + group).put("body", forged)
          .put("headers", new JsonObject().put("gc-seq", "1").put("from", "admin")));

      JsonObject readyAtWs = ws.nextMessage(group);
      assertEquals("ready", readyAtWs.getValue("body"));
      JsonObject forgedAtWs = ws.nextMessage(group);
      assertEquals(first + 2, forgedAtWs.getLong("seq"), "sequenced like any publish: " + forgedAtWs);
      assertTrue(forgedAtWs.getString("from").startsWith("bridge-"), "from is the bridge connection: " + forgedAtWs);
      assertEquals(forged, forgedAtWs.getJsonObject("body"), "what the client sent is only the body");
      ws.publish(group, "real"); // the group goes on
      JsonObject real = ws.nextMessage(group);
      assertEquals("real", real.getValue("body"));
      assertEquals(first + 3, real.getLong("seq"));
      for (int i = 0; i < 3; i++) { // ready, the forgery as a body, real: in order, seqs of the group
        JsonObject rec = listener.next(f -> "rec".equals(f.getString("type"))).getJsonObject("body");
        assertEquals(first + 1 + i, rec.getLong("seq"), rec.encode());
        assertTrue(rec.getString("from").startsWith("bridge-") || rec.getString("from").equals(ws.sessionId()), rec.encode());
      }
    }
  }
}
