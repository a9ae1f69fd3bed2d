package dev.groupcast.group;

import dev.groupcast.support.TestCluster;
import dev.groupcast.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node dies abruptly (its Hazelcast member terminated, no graceful leave): the group's sequence and
 * history lived on it, yet its clients resume on another node with nothing lost or repeated, and
 * seqs go on from where they were.
 */
@ExtendWith(VertxExtension.class)
class NodeLossTest {

  private TestCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void clientsResumeOnASurvivorAfterTheNodeOwningTheGroupDies(Vertx vertx) {
    cluster = TestCluster.start(3, Map.of());
    String group = cluster.groupOwnedBy(2, "loss");

    WsClient onVictim = WsClient.connect(vertx, cluster.httpPort(2));
    try (WsClient publisher = WsClient.connect(vertx, cluster.httpPort(0))) {
      onVictim.join(group);
      for (int i = 1; i <= 5; i++) {
        publisher.publish(group, "m" + i);
      }
      List<JsonObject> before = onVictim.messages(group, 5);
      long lastSeen = before.get(4).getLong("seq");
      assertEquals(5L, lastSeen);

      cluster.crash(2);
      onVictim.awaitClose();

      for (int i = 6; i <= 10; i++) {
        JsonObject ack = publisher.publish(group, "m" + i);
        assertEquals((long) i, ack.getLong("seq"), "the sequence survives its owner: " + ack);
      }
      try (WsClient resumed = WsClient.connect(vertx, cluster.httpPort(1))) {
        JsonObject joined = resumed.join(group, lastSeen);
        assertEquals(true, joined.getBoolean("recovered"));
        for (int i = 6; i <= 10; i++) {
          JsonObject m = resumed.nextMessage(group);
          assertEquals("m" + i, m.getString("body"));
          assertEquals((long) i, m.getLong("seq"));
        }
        resumed.ping();
        assertTrue(resumed.inbox().stream().noneMatch(f -> "message".equals(f.getString("type"))));
      }
    }
  }

  /**
   * A node left without a majority of {@code cluster.expectedSize} refuses to sequence: a publish gets
   * {@code unavailable} (frame) and {@code 503 {"code":"unavailable"}} (HTTP), and the node is not
   * ready ({@code no_quorum}), rather than handing out seqs alone.
   */
  @Test
  void aNodeWithoutAMajorityRefusesPublishesWithUnavailable(Vertx vertx) {
    cluster = TestCluster.start(2, Map.of()); // expected size 2: both must be up
    io.vertx.ext.web.client.WebClient http = io.vertx.ext.web.client.WebClient.create(vertx);
    try (WsClient client = WsClient.connect(vertx, cluster.httpPort(0))) {
      assertEquals(1L, client.publish("minority", "before").getLong("seq"));
      cluster.crash(1);
      dev.groupcast.support.Await.until("node1 not ready: no_quorum", 20, () -> !cluster.node(0).state().ready());
      JsonObject refused = client.publish("minority", "alone");
      assertEquals("error", refused.getString("type"), refused.encode());
      assertEquals("unavailable", refused.getString("code"), refused.encode());
      io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer> api = dev.groupcast.support.Await.result(
          http.post(cluster.httpPort(0), "127.0.0.1", "/api/groups/minority/messages").sendJsonObject(new JsonObject()));
      assertEquals(503, api.statusCode(), api.bodyAsString());
      assertEquals("unavailable", api.bodyAsJsonObject().getString("code"));
      io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer> ready = dev.groupcast.support.Await.result(
          http.get(cluster.httpPort(0), "127.0.0.1", "/health/ready").send());
      assertEquals(503, ready.statusCode());
      assertTrue(ready.bodyAsString().contains("no_quorum"), ready.bodyAsString());
    }
  }
}
