package dev.groupcast.e2e;

import dev.groupcast.support.JarCluster;
import dev.groupcast.support.JarProcess;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code java -jar groupcast.jar bench} as users run it, against two node processes. */
@ExtendWith(VertxExtension.class)
class BenchIT {

  private static JsonObject lastLine(String stdout) {
    String[] lines = stdout.strip().split("\n");
    return new JsonObject(lines[lines.length - 1]);
  }

  @Test
  void fanoutAndConnectionsAgainstATwoNodeCluster(Vertx vertx) throws Exception {
    try (JarCluster cluster = JarCluster.start(vertx, "bench", 2, Map.of("GROUPCAST_LIMITS_PUBLISH_RATE", "0"))) {
      String urls = "ws://127.0.0.1:" + cluster.node(0).httpPort + "/ws,ws://127.0.0.1:" + cluster.node(1).httpPort + "/ws";
      JarProcess.Result fanout = JarProcess.run(Map.of(), "bench", "fanout", "--url", urls,
          "--subscribers", "100", "--messages", "500", "--json");
      assertEquals(0, fanout.exitCode(), fanout.stderr());
      JsonObject result = lastLine(fanout.stdout());
      assertEquals(50_000L, result.getLong("deliveries"), result.encode());
      assertEquals(0L, result.getLong("lost"));
      assertEquals(0L, result.getLong("duplicates"));
      assertTrue(result.getJsonObject("latencyMs").getDouble("p99") > 0);

      JarProcess.Result connections = JarProcess.run(Map.of(), "bench", "connections", "--url", urls,
          "--connections", "1000", "--duration", "1s");
      assertEquals(0, connections.exitCode(), connections.stderr());
      assertTrue(connections.stdout().contains("opened:                1000"), connections.stdout());
      assertTrue(connections.stdout().contains("droppedWhileHeld:      0"), connections.stdout());
    }
  }
}
