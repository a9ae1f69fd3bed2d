package dev.groupcast.ops;

import dev.groupcast.support.Await;
import dev.groupcast.support.TestCluster;
import dev.groupcast.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Metrics, presence, the nodes API and the admin protection, on in-process clusters. The tests that
 * only connect, join and read share one 2-node cluster (each in groups of its own, counting what it
 * did as a difference); a node crash and auth get clusters of their own.
 */
@ExtendWith(VertxExtension.class)
class OperationsTest {

  static final String API_KEY = "ops-api-key-for-tests";
  static final String SECRET = "a-secret-of-at-least-32-characters-long!";

  /** Shared by the tests that leave the cluster as they found it. */
  private static TestCluster shared;
  /** A test's own cluster, closed after it. */
  private TestCluster cluster;

  @BeforeAll
  static void startShared() {
    shared = TestCluster.start(2, Map.of());
  }

  @AfterAll
  static void stopShared() {
    shared.close();
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static HttpResponse<Buffer> get(Vertx vertx, int port, String path) {
    return Await.result(WebClient.create(vertx).get(port, "127.0.0.1", path).send());
  }

  @Test
  void presenceIsClusterWideWithEventsAndTheApiAndTheProtocolAgree(Vertx vertx) {
    TestCluster cluster = shared;
    try (WsClient a = WsClient.connect(vertx, cluster.httpPort(0));
         WsClient b = WsClient.connect(vertx, cluster.httpPort(1))) {
      JsonObject joined = a.request(new JsonObject().put("type", "join").put("group", "judges").put("presence", true));
      assertEquals(Set.of(a.sessionId()), sessions(joined.getJsonArray("members")), "who is there as the join is answered");
      assertTrue(b.join("judges").getJsonArray("members") == null, "without the option, no members in joined");
      JsonObject joinEvent = a.next(f -> "presence_join".equals(f.getString("type")));
      a.ping();
      assertTrue(a.inbox().stream().noneMatch(f -> f.getString("type").startsWith("presence_")),
          "one event, about the other member: a member is not told of its own join");
      assertEquals("judges", joinEvent.getString("group"));
      assertEquals(b.sessionId(), joinEvent.getJsonObject("member").getString("session"));
      assertEquals(cluster.node(1).config().node().id(), joinEvent.getJsonObject("member").getString("node"));

      JsonObject answer = b.request(new JsonObject().put("type", "presence").put("group", "judges"));
      assertEquals("presence", answer.getString("type"));
      assertEquals("judges", answer.getString("group"));
      JsonArray members = answer.getJsonArray("members");
      assertEquals(Set.of(a.sessionId(), b.sessionId()), sessions(members));
      JsonObject first = members.getJsonObject(0);
      assertEquals(a.sessionId(), first.getString("session"), "oldest first");
      assertEquals(cluster.node(0).config().node().id(), first.getString("node"));
      assertTrue(first.getLong("joinedAt") > 0);
      assertTrue(first.containsKey("user"));

      HttpResponse<Buffer> api = get(vertx, cluster.httpPort(1), "/api/groups/judges/members");
      assertEquals(200, api.statusCode());
      assertEquals(members, api.bodyAsJsonObject().getJsonArray("members"), "the API and the protocol agree");
      assertEquals(0, get(vertx, cluster.httpPort(0), "/api/groups/nobody/members").bodyAsJsonObject()
          .getJsonArray("members").size());
      assertEquals(400, get(vertx, cluster.httpPort(0), "/api/groups/bad%20name/members").statusCode());

      b.leave("judges");
      JsonObject leaveEvent = a.next(f -> "presence_leave".equals(f.getString("type")));
      assertEquals(b.sessionId(), leaveEvent.getJsonObject("member").getString("session"));
      assertEquals(Set.of(a.sessionId()), sessions(get(vertx, cluster.httpPort(1), "/api/groups/judges/members")
          .bodyAsJsonObject().getJsonArray("members")));
    }
  }

  @Test
  void membersOfADeadNodeDisappearWithinTenSecondsAndLeavesAreAnnounced(Vertx vertx) {
    cluster = TestCluster.start(2, Map.of());
    try (WsClient watcher = WsClient.connect(vertx, cluster.httpPort(0))) {
      WsClient doomed = WsClient.connect(vertx, cluster.httpPort(1));
      doomed.join("lobby"); // before the watcher: known to it from the join's snapshot, not from an event
      JsonObject joined = watcher.request(new JsonObject().put("type", "join").put("group", "lobby").put("presence", true));
      assertEquals(Set.of(watcher.sessionId(), doomed.sessionId()), sessions(joined.getJsonArray("members")));
      long killedAt = System.currentTimeMillis();
      cluster.crash(1); // no goodbye
      JsonObject leave = watcher.next(f -> "presence_leave".equals(f.getString("type")));
      long took = System.currentTimeMillis() - killedAt;
      assertEquals(doomed.sessionId(), leave.getJsonObject("member").getString("session"));
      assertEquals(Set.of(watcher.sessionId()), sessions(get(vertx, cluster.httpPort(0), "/api/groups/lobby/members")
          .bodyAsJsonObject().getJsonArray("members")));
      assertTrue(took < 10_000, "gone within 10 s, took " + took + " ms");
    }
  }

  @Test
  void nodesApiShowsEveryNodeWithItsLoad(Vertx vertx) {
    TestCluster cluster = shared;
    awaitIdle(vertx, cluster);
    try (WsClient a = WsClient.connect(vertx, cluster.httpPort(0));
         WsClient b = WsClient.connect(vertx, cluster.httpPort(0))) {
      a.join("x");
      b.join("y");
      JsonArray nodes = get(vertx, cluster.httpPort(1), "/api/nodes").bodyAsJsonObject().getJsonArray("nodes");
      assertEquals(2, nodes.size());
      JsonObject first = nodes.getJsonObject(0);
      assertEquals(cluster.node(0).config().node().id(), first.getString("id"));
      assertEquals("127.0.0.1:" + cluster.httpPort(0), first.getString("http"));
      assertEquals(new JsonArray().add("gateway"), first.getJsonArray("roles"));
      assertEquals(true, first.getBoolean("ready"));
      assertEquals(2, first.getInteger("connections"));
      assertEquals(2, first.getInteger("groups"));
      assertEquals(2, first.getJsonArray("topGroups").size());
      JsonObject second = nodes.getJsonObject(1);
      assertEquals(0, second.getInteger("connections"));
      assertEquals(0, second.getInteger("groups"));
    }
  }

  @Test
  void metricsCountConnectionsMessagesDeliveriesLatencyAndErrors(Vertx vertx) {
    TestCluster cluster = shared;
    awaitIdle(vertx, cluster);
    String before0 = get(vertx, cluster.httpPort(0), "/metrics").bodyAsString();
    String before1 = get(vertx, cluster.httpPort(1), "/metrics").bodyAsString();
    try (WsClient a = WsClient.connect(vertx, cluster.httpPort(0));
         WsClient b = WsClient.connect(vertx, cluster.httpPort(1));
         WsClient c = WsClient.connect(vertx, cluster.httpPort(1))) {
      b.join("scores");
      c.join("scores");
      for (int i = 0; i < 3; i++) {
        a.publish("scores", i);
      }
      b.messages("scores", 3);
      c.messages("scores", 3);
      a.sendText("not json");
      a.next(f -> "error".equals(f.getString("type")));

      HttpResponse<Buffer> on0 = get(vertx, cluster.httpPort(0), "/metrics");
      assertEquals(200, on0.statusCode());
      assertTrue(on0.getHeader("Content-Type").startsWith("text/plain"));
      String m0 = on0.bodyAsString();
      assertEquals(1.0, value(m0, "groupcast_connections{transport=\"ws\"}"));
      assertEquals(3.0, value(m0, "groupcast_messages_published_total") - value(before0, "groupcast_messages_published_total"));
      assertEquals(1.0, value(m0, "groupcast_errors_total{code=\"bad_request\"}")
          - value(before0, "groupcast_errors_total{code=\"bad_request\"}"));
      assertEquals(2.0, value(m0, "groupcast_cluster_size"));

      String m1 = get(vertx, cluster.httpPort(1), "/metrics").bodyAsString();
      assertEquals(2.0, value(m1, "groupcast_connections{transport=\"ws\"}"));
      assertEquals(1.0, value(m1, "groupcast_groups"));
      assertEquals(2.0, value(m1, "groupcast_members"));
      assertEquals(6.0, value(m1, "groupcast_messages_delivered_total") - value(before1, "groupcast_messages_delivered_total"),
          "3 messages x 2 members");
      assertEquals(3.0, value(m1, "groupcast_delivery_latency_seconds_count")
          - value(before1, "groupcast_delivery_latency_seconds_count"));
      assertTrue(m1.contains("groupcast_delivery_latency_seconds_bucket{le=\"0.005\"}"), "a histogram with buckets");
      assertTrue(m1.contains("jvm_memory_used_bytes"), "the JVM's meters too");
    }
  }

  @Test
  void withAuthTheApiAndTheDashboardTakeTheAdminCredential(Vertx vertx) {
    cluster = TestCluster.start(1, Map.of("GROUPCAST_AUTH_REQUIRED", "true", "GROUPCAST_AUTH_JWT_SECRET", SECRET,
        "GROUPCAST_AUTH_API_KEY", API_KEY));
    int port = cluster.httpPort(0);
    WebClient web = WebClient.create(vertx);
    for (String path : List.of("/api/groups/g/members", "/api/nodes", "/admin/", "/admin/api/nodes")) {
      HttpResponse<Buffer> anonymous = Await.result(web.get(port, "127.0.0.1", path).send());
      assertEquals(401, anonymous.statusCode(), path);
      assertEquals("unauthorized", anonymous.bodyAsJsonObject().getString("code"), path);
      assertTrue(anonymous.getHeader("WWW-Authenticate").startsWith("Basic"), path + ": a browser can log in");
      assertEquals(200, Await.result(web.get(port, "127.0.0.1", path).putHeader("X-Api-Key", API_KEY).send())
          .statusCode(), path);
      String basic = "Basic " + Base64.getEncoder().encodeToString(("admin:" + API_KEY).getBytes(StandardCharsets.UTF_8));
      assertEquals(200, Await.result(web.get(port, "127.0.0.1", path).putHeader("Authorization", basic).send())
          .statusCode(), path);
      String wrong = "Basic " + Base64.getEncoder().encodeToString("admin:nope".getBytes(StandardCharsets.UTF_8));
      assertEquals(401, Await.result(web.get(port, "127.0.0.1", path).putHeader("Authorization", wrong).send())
          .statusCode(), path);
    }
    assertEquals(200, get(vertx, port, "/metrics").statusCode(), "scraped like /health, without a credential");
  }

  /**
   * The shared cluster as a test finds it: the clients of the tests before it have gone (their
   * closes reach the nodes a moment after the clients see them).
   */
  private static void awaitIdle(Vertx vertx, TestCluster cluster) {
    for (int i = 0; i < cluster.size(); i++) {
      int port = cluster.httpPort(i);
      Await.until("no connection left on node " + i, 10, () -> {
        String m = get(vertx, port, "/metrics").bodyAsString();
        return value(m, "groupcast_connections{transport=\"ws\"}") == 0 && value(m, "groupcast_groups") == 0;
      });
    }
  }

  private static Set<String> sessions(JsonArray members) {
    return members.stream().map(m -> ((JsonObject) m).getString("session")).collect(Collectors.toSet());
  }

  /** The value of one series in a Prometheus text exposition. */
  static double value(String exposition, String series) {
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(exposition);
    assertTrue(m.find(), series + " in\n" + exposition);
    return Double.parseDouble(m.group(1));
  }
}
