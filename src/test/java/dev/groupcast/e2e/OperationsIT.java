package dev.groupcast.e2e;

import dev.groupcast.support.Await;
import dev.groupcast.support.JarProcess;
import dev.groupcast.support.TestCluster;
import dev.groupcast.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI, the demo cluster, presence through the proxy, JSON logs and the proxy's access log, on the fat jar. */
@ExtendWith(VertxExtension.class)
class OperationsIT {

  @Test
  void versionAndBadDemoArgumentsAnswerInOneLine() throws Exception {
    JarProcess.Result version = JarProcess.run(Map.of(), "--version");
    assertEquals(0, version.exitCode());
    assertTrue(version.stdout().matches("groupcast \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\n"), version.stdout());

    JarProcess.Result help = JarProcess.run(Map.of(), "--help");
    assertEquals(0, help.exitCode());
    assertTrue(help.stdout().contains("demo") && help.stdout().contains("--version"), help.stdout());

    JarProcess.Result port = JarProcess.run(Map.of(), "demo", "--port", "eighty");
    assertEquals(2, port.exitCode());
    assertEquals("groupcast demo: --port eighty: must be a port from 1 to 65432\n", port.stderr());

    JarProcess.Result flag = JarProcess.run(Map.of(), "demo", "--nodes", "5");
    assertEquals(2, flag.exitCode());
    assertEquals("groupcast demo: unknown argument: --nodes (see demo --help)\n", flag.stderr());
  }

  @Test
  void demoStartsThreeNodesAndAProxyAndPrintsWhereToGo(Vertx vertx) throws Exception {
    int port = freeBlock();
    Files.deleteIfExists(Path.of("target", "it-logs", "demo.log")); // logs append across runs
    try (JarProcess demo = JarProcess.start("demo", Map.of(), "demo", "--port", String.valueOf(port))) {
      String log = Await.result(vertx.executeBlocking(() -> {
        long deadline = System.currentTimeMillis() + 90_000;
        while (System.currentTimeMillis() < deadline) {
          String text = demo.log();
          if (text.contains("Ctrl-C stops the demo")) {
            return text;
          }
          Thread.sleep(200); // polling a file another process writes
        }
        throw new AssertionError("the demo printed no URLs: " + demo.log());
      }), 100);
      assertTrue(log.contains("http://127.0.0.1:" + port + "/"), log);
      assertTrue(log.contains("http://127.0.0.1:" + port + "/admin/"), log);

      WebClient web = WebClient.create(vertx);
      // the URLs are printed once the nodes listen; ready is once their partitions are in sync too
      JsonArray[] listed = new JsonArray[1];
      Await.until("all three nodes ready", 30, () -> {
        // through the proxy, which answers 502 while no node is ready yet
        HttpResponse<Buffer> answer = Await.result(web.get(port, "127.0.0.1", "/api/nodes").send());
        listed[0] = answer.statusCode() == 200 ? answer.bodyAsJsonObject().getJsonArray("nodes") : null;
        return listed[0] != null && listed[0].size() == 3
            && listed[0].stream().allMatch(n -> ((JsonObject) n).getBoolean("ready"));
      });
      JsonArray nodes = listed[0];
      assertEquals(Set.of("demo-1", "demo-2", "demo-3"),
          nodes.stream().map(n -> ((JsonObject) n).getString("id")).collect(Collectors.toSet()));
      assertTrue(nodes.stream().allMatch(n -> ((JsonObject) n).getBoolean("ready")), nodes.encode());
      HttpResponse<Buffer> admin = Await.result(web.get(port, "127.0.0.1", "/admin/").send());
      assertEquals(200, admin.statusCode());
      assertTrue(admin.bodyAsString().contains("admin.js"));

      // presence through the proxy: members on whichever nodes the proxy chose
      try (WsClient one = WsClient.connect(vertx, port); WsClient two = WsClient.connect(vertx, port)) {
        one.join("judges");
        two.join("judges");
        JsonArray members = Await.result(web.get(port, "127.0.0.1", "/api/groups/judges/members").send())
            .bodyAsJsonObject().getJsonArray("members");
        assertEquals(Set.of(one.sessionId(), two.sessionId()),
            members.stream().map(m -> ((JsonObject) m).getString("session")).collect(Collectors.toSet()));
        assertTrue(members.stream().allMatch(m -> ((JsonObject) m).getString("node").startsWith("demo-")));
      }
      assertEquals(0, demo.terminate(), "Ctrl-C stops it cleanly");
    }
  }

  @Test
  void jsonLogsAndTheProxyAccessLog(Vertx vertx) throws Exception {
    Map<String, String> env = new HashMap<>(TestCluster.nodeEnvs("jsonlog", 1, Map.of()).get(0));
    env.put("GROUPCAST_ROLES", "gateway,proxy");
    env.put("GROUPCAST_LOG_FORMAT", "json");
    env.put("GROUPCAST_PROXY_ACCESS_LOG", "true");
    int proxyPort = Integer.parseInt(env.get("GROUPCAST_PROXY_PORT"));
    Files.deleteIfExists(Path.of("target", "it-logs", "jsonlog.log")); // logs append across runs
    try (JarProcess node = JarProcess.start("jsonlog", env)) {
      Await.result(node.ready(vertx, 60_000), 70);
      WebClient web = WebClient.create(vertx);
      HttpResponse<Buffer> health = Await.result(web.get(proxyPort, "127.0.0.1", "/health/ready").send());
      assertEquals(200, health.statusCode());
      WsClient.connect(vertx, proxyPort).close();
      List<JsonObject> lines = Await.result(vertx.executeBlocking(() -> {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
          List<JsonObject> parsed = node.log().lines().filter(l -> !l.isBlank()).map(JsonObject::new).toList();
          if (parsed.stream().filter(l -> "groupcast.access".equals(l.getString("logger_name"))).count() >= 2
              || System.currentTimeMillis() > deadline) {
            return parsed;
          }
          Thread.sleep(100); // polling a file another process writes
        }
      }), 40);
      assertTrue(lines.stream().anyMatch(l -> l.getString("message", "").contains("ready")), "every line is JSON");
      List<JsonObject> access = lines.stream().filter(l -> "groupcast.access".equals(l.getString("logger_name"))).toList();
      JsonObject request = access.stream().filter(l -> "/health/ready".equals(l.getString("uri"))).findFirst().orElseThrow();
      assertEquals("127.0.0.1", request.getString("client"));
      assertEquals("127.0.0.1:" + env.get("GROUPCAST_HTTP_PORT"), request.getString("backend"));
      assertEquals(200, request.getInteger("status"));
      assertTrue(request.getLong("bytes") > 0 && request.containsKey("ms"), request.encode());
      JsonObject tunnel = access.stream().filter(l -> "/ws".equals(l.getString("uri"))).findFirst().orElseThrow();
      assertEquals(101, tunnel.getInteger("status"));
      assertTrue(tunnel.getLong("bytes") > 0, "the welcome frame and the close went through: " + tunnel.encode());
    }
  }

  /** A port P with P+1..P+3 and P+101..P+103 free too, for the demo. */
  private static int freeBlock() throws IOException {
    // below the kernel's ephemeral range (32768 up): there the demo's own outgoing cluster connections
    // can take a port of the block between this check and its bind (CI failed on http.port once)
    for (int attempt = 0; attempt < 50; attempt++) {
      int p = 20_000 + (int) (Math.random() * 12_000);
      if (free(p) && free(p + 1) && free(p + 2) && free(p + 3) && free(p + 101) && free(p + 102) && free(p + 103)) {
        return p;
      }
    }
    throw new IOException("no free block of ports");
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
