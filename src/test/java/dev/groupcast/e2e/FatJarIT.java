package dev.groupcast.e2e;

import dev.groupcast.support.Await;
import dev.groupcast.support.JarProcess;
import dev.groupcast.support.JarCluster;
import dev.groupcast.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fat jar as users run it: separate processes, real WebSockets, real Hazelcast between them. */
@ExtendWith(VertxExtension.class)
class FatJarIT {

  /**
   * Two nodes, one killed, the other going on alone: that needs each node to be a majority by itself
   * (cluster.expectedSize 1; with the default 2, the survivor refuses until the other is back, see
   * the README's Guarantees). What this test is about is the transports' resume on another node.
   */
  private static final Map<String, String> ONE_NODE_MAJORITY = Map.of("GROUPCAST_CLUSTER_EXPECTED_SIZE", "1");


  @Test
  void twoProcessesDeliverAcrossNodesAndAClientResumesAfterItsNodeIsKilled(Vertx vertx) throws Exception {
    try (JarCluster cluster = JarCluster.start(vertx, "node", 2, ONE_NODE_MAJORITY)) {
      JarProcess a = cluster.node(0);
      JarProcess b = cluster.node(1);
      WsClient onA = WsClient.connect(vertx, a.httpPort);
      try (WsClient onB = WsClient.connect(vertx, b.httpPort)) {
        assertEquals("node-a", onA.welcome.getString("node"));
        assertEquals("node-b", onB.welcome.getString("node"));
        onA.join("judges");
        onB.join("judges");

        JsonObject ack = onB.publish("judges", new JsonObject().put("judge", "bo").put("score", 8));
        assertEquals(1L, ack.getLong("seq"));
        JsonObject seenOnA = onA.nextMessage("judges");
        assertEquals(onB.sessionId(), seenOnA.getString("from"));
        assertEquals(8, seenOnA.getJsonObject("body").getInteger("score"));
        assertEquals(seenOnA, onB.nextMessage("judges"), "the publisher, a member, gets it too");

        HttpResponse<Buffer> posted = Await.result(WebClient.create(vertx)
            .post(a.httpPort, "127.0.0.1", "/api/groups/judges/messages").sendJsonObject(new JsonObject().put("round", 2)));
        assertEquals(202, posted.statusCode());
        assertEquals("api", onB.nextMessage("judges").getString("from"));
        long lastSeenOnA = onA.nextMessage("judges").getLong("seq");

        a.kill();
        onA.awaitClose();
        for (int i = 0; i < 3; i++) {
          onB.publish("judges", "while-away-" + i);
        }
        try (WsClient back = WsClient.connect(vertx, b.httpPort)) {
          JsonObject joined = back.join("judges", lastSeenOnA);
          assertEquals(true, joined.getBoolean("recovered"));
          List<JsonObject> missed = back.messages("judges", 3);
          for (int i = 0; i < 3; i++) {
            assertEquals("while-away-" + i, missed.get(i).getString("body"));
            assertEquals(lastSeenOnA + 1 + i, missed.get(i).getLong("seq"));
          }
        }
      }
      assertEquals(0, b.terminate(), "SIGTERM stops a node cleanly");
      assertTrue(b.log().contains("stopping node node-b"), b.log());
      assertTrue(b.log().lines().noneMatch(l -> l.contains(" ERROR ")), "no errors logged:\n" + b.log());
    }
  }

  @Test
  void badConfigurationStopsWithOneLineAndExitCode2() throws Exception {
    JarProcess.Result port = JarProcess.run(Map.of("GROUPCAST_HTTP_PORT", "99999"));
    assertEquals(2, port.exitCode());
    assertEquals("groupcast: config: http.port = \"99999\": out of range 1-65535\n", port.stderr());

    JarProcess.Result role = JarProcess.run(Map.of("GROUPCAST_ROLES", "gateway,router"));
    assertEquals(2, role.exitCode());
    assertTrue(role.stderr().contains("roles = \"router\""), role.stderr());
    assertEquals(1, role.stderr().lines().count());

    JarProcess.Result duration = JarProcess.run(Map.of("GROUPCAST_HISTORY_TTL", "ten"));
    assertEquals(2, duration.exitCode());
    assertEquals("groupcast: config: history.ttl = \"ten\": not a duration (write e.g. 250ms, 3s, 5m, 1h)\n",
        duration.stderr());

    JarProcess.Result flag = JarProcess.run(Map.of(), "--bogus");
    assertEquals(2, flag.exitCode());
    assertEquals("groupcast: unknown argument: --bogus (see --help)\n", flag.stderr());

    JarProcess.Result missing = JarProcess.run(Map.of(), "-c", "/nonexistent/groupcast.json");
    assertEquals(2, missing.exitCode());
    assertEquals(1, missing.stderr().lines().count());
  }
}
