package dev.groupcast.group;

import dev.groupcast.support.Await;
import dev.groupcast.support.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * History comes only from a log whose backup answers. An owner whose writes no longer reach the
 * others may still hear them, and so still believe it has the majority, for about 8 s; what it
 * appended meanwhile exists on it alone and is dropped when it merges back, its seqs given to other
 * messages. (ClusterFaultsIT's frozen node once set off just that: the cluster's master stopped being
 * heard, and a member on it was handed, from history, a message that never reached the backup.)
 * Here the backup member's partition threads are held, so that it cannot acknowledge anything: the
 * owner must refuse to serve history ({@code unavailable}) rather than answer from its copy alone,
 * and serve it again once the backup answers.
 */
@ExtendWith(VertxExtension.class)
class HistoryBackupTest {

  @Test
  void historyIsRefusedWhileTheBackupCannotAcknowledge(Vertx vertx) throws Exception {
    try (TestCluster cluster = TestCluster.start(2, Map.of())) {
      String group = cluster.groupOwnedBy(0, "backed");
      int port = cluster.httpPort(0);
      WebClient http = WebClient.create(vertx);
      for (int i = 1; i <= 3; i++) {
        HttpResponse<Buffer> ack = Await.result(http.post(port, "127.0.0.1", "/api/groups/" + group + "/messages")
            .sendJsonObject(new JsonObject().put("n", i)));
        assertEquals(202, ack.statusCode(), ack.bodyAsString());
      }
      assertEquals(3, history(http, port, group).bodyAsJsonObject().getJsonArray("messages").size());

      // with 2 members the other one holds every backup of what node 0 owns
      try (AutoCloseable held = cluster.holdPartitionThreads(1)) {
        long asked = System.nanoTime();
        HttpResponse<Buffer> refused = history(http, port, group);
        assertEquals(503, refused.statusCode(), "history answered from the owner's copy alone: " + refused.bodyAsString());
        assertEquals("unavailable", refused.bodyAsJsonObject().getString("code"));
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - asked) < 15, "refused in time");
      }
      Await.until("history served again once the backup answers", 30,
          () -> history(http, port, group).statusCode() == 200);
      assertEquals(3, history(http, port, group).bodyAsJsonObject().getJsonArray("messages").size());
    }
  }

  private static HttpResponse<Buffer> history(WebClient http, int port, String group) {
    return Await.result(http.get(port, "127.0.0.1", "/api/groups/" + group + "/history?since=0").send(), 30);
  }
}
