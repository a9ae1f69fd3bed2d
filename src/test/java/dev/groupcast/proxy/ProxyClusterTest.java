package dev.groupcast.proxy;

import dev.groupcast.support.Await;
import dev.groupcast.support.TestCluster;
import dev.groupcast.support.WsClient;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every node runs {@code gateway,proxy}; the proxies find the gateways in the cluster and follow them
 * as they join, turn not-ready and leave.
 */
@ExtendWith(VertxExtension.class)
class ProxyClusterTest {

  private TestCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void proxiesFollowTheClusterGatewaysLive(Vertx vertx) {
    // the proxies are the subject here, not the majority: one node alone at the end still serves
    List<Map<String, String>> envs = TestCluster.nodeEnvs("node", 3, Map.of("GROUPCAST_ROLES", "gateway,proxy",
        "GROUPCAST_CLUSTER_EXPECTED_SIZE", "1"));
    cluster = TestCluster.start(envs.subList(0, 2));
    WebClient http = WebClient.create(vertx);
    int proxy = cluster.proxyPort(0);

    // nodes started together publish their metadata as they come up: found within healthInterval
    awaitReached(vertx, http, proxy, seen -> seen.equals(Set.of("node1", "node2")));
    awaitReached(vertx, http, cluster.proxyPort(1), seen -> seen.equals(Set.of("node1", "node2")));

    // any node accepts a client and forwards it; clients on different nodes share a group
    try (WsClient viaNode1 = WsClient.connect(vertx, cluster.proxyPort(0));
         WsClient viaNode2 = WsClient.connect(vertx, cluster.proxyPort(1))) {
      viaNode1.join("through-proxy");
      viaNode2.join("through-proxy");
      viaNode2.publish("through-proxy", "hello");
      assertEquals("hello", viaNode1.nextMessage("through-proxy").getString("body"));
    }

    cluster.add(envs.get(2));
    long joined = System.currentTimeMillis();
    awaitReached(vertx, http, proxy, seen -> seen.contains("node3"));
    assertTrue(System.currentTimeMillis() - joined < 5000, "a new node gets clients within seconds");

    cluster.node(2).state().markStopping(); // a node shutting down answers 503 on /health/ready
    long stopping = System.currentTimeMillis();
    awaitReached(vertx, http, proxy, seen -> !seen.contains("node3"));
    assertTrue(System.currentTimeMillis() - stopping < 2500, "a node shutting down gets no new clients within 2 s");

    Await.result(cluster.node(1).close());
    long left = System.currentTimeMillis();
    awaitReached(vertx, http, proxy, seen -> seen.equals(Set.of("node1")));
    assertTrue(System.currentTimeMillis() - left < 2500, "a node that left gets no new clients within 2 s");
  }

  /**
   * A proxy whose every backend looked unusable at its last check looks again before it refuses: a
   * gateway that turned ready since (a cluster starting, a rolling restart) gets the request at once
   * rather than a 502 until the next {@code proxy.healthInterval}.
   */
  @Test
  void aProxyThatSeesNoReadyBackendChecksAgainBeforeRefusing(Vertx vertx) {
    List<Map<String, String>> envs = TestCluster.nodeEnvs("recheck", 2, Map.of("GROUPCAST_CLUSTER_EXPECTED_SIZE", "1",
        "GROUPCAST_PROXY_HEALTH_INTERVAL", "1h")); // no periodic check comes to the rescue
    envs.get(0).put("GROUPCAST_ROLES", "gateway,proxy");
    cluster = TestCluster.start(envs.subList(0, 1));
    cluster.node(0).state().markStopping(); // its own gateway takes no new clients from now on
    // the second gateway joining makes the proxy check both at once: node1 stopping, node2 still starting
    dev.groupcast.GroupcastNode second = Await.result(dev.groupcast.GroupcastNode.start(
        dev.groupcast.config.ConfigLoader.load(null, envs.get(1))), 60);
    try {
      Await.until("recheck2 ready", 30, () -> second.state().ready());
      WebClient http = WebClient.create(vertx);
      io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer> answer =
          Await.result(http.get(cluster.proxyPort(0), "127.0.0.1", "/health/ready").send());
      assertEquals(200, answer.statusCode(), answer.bodyAsString());
      assertEquals("recheck2", answer.bodyAsJsonObject().getString("node"));
    } finally {
      Await.result(second.close(), 30);
    }
  }

  /**
   * A proxy-only node is a Hazelcast lite member: it owns no partition, so no group's log lives on a
   * node the gateways' majority does not count. It may start first; it then waits for a gateway,
   * as a lite member cannot serve Vert.x's own maps alone.
   */
  @Test
  void aProxyOnlyNodeHoldsNoGroupDataAndWaitsForAGateway(Vertx vertx) {
    List<Map<String, String>> envs = TestCluster.nodeEnvs("lite", 2, Map.of("GROUPCAST_CLUSTER_EXPECTED_SIZE", "1"));
    envs.get(1).put("GROUPCAST_ROLES", "proxy");
    io.vertx.core.Future<dev.groupcast.GroupcastNode> proxyStart =
        dev.groupcast.GroupcastNode.start(dev.groupcast.config.ConfigLoader.load(null, envs.get(1)));
    // closed however the test ends: a proxy left starting would stay a member of later tests' clusters
    try {
      watchTheProxyWaitThenServe(vertx, envs, proxyStart);
    } finally {
      if (proxyStart.succeeded()) {
        Await.result(proxyStart.result().close(), 30);
      } else if (!proxyStart.isComplete()) {
        // still waiting for a gateway: its member shut down, the start fails and closes what it opened
        var member = com.hazelcast.core.Hazelcast.getHazelcastInstanceByName(
            "groupcast-lite2-" + envs.get(1).get("GROUPCAST_CLUSTER_PORT"));
        if (member != null) {
          member.shutdown();
        }
      }
    }
  }

  private void watchTheProxyWaitThenServe(Vertx vertx, List<Map<String, String>> envs,
                                          io.vertx.core.Future<dev.groupcast.GroupcastNode> proxyStart) {
    String proxyInstance = "groupcast-lite2-" + envs.get(1).get("GROUPCAST_CLUSTER_PORT");
    Await.until("the proxy's member is up", 30,
        () -> com.hazelcast.core.Hazelcast.getHazelcastInstanceByName(proxyInstance) != null);
    com.hazelcast.core.HazelcastInstance proxyHz = com.hazelcast.core.Hazelcast.getHazelcastInstanceByName(proxyInstance);
    assertTrue(proxyHz.getCluster().getLocalMember().isLiteMember(), "a proxy-only node is a lite member");
    // the window a start without the wait fails in: Vert.x writes its node information at once
    long watchUntil = System.currentTimeMillis() + 1500;
    while (System.currentTimeMillis() < watchUntil) {
      assertFalse(proxyStart.isComplete(), "no gateway yet: still waiting, not started nor failed " + proxyStart);
      sleepQuietly(50); // watching a state that must not change, not waiting for one
    }
    cluster = TestCluster.start(envs.subList(0, 1));
    dev.groupcast.GroupcastNode proxyNode = Await.result(proxyStart, 60);
    cluster.awaitSafe();
    for (com.hazelcast.partition.Partition partition : proxyHz.getPartitionService().getPartitions()) {
      assertTrue(partition.getOwner() == null || !partition.getOwner().localMember(),
          "the proxy owns no partition: " + partition);
    }
    // and it forwards: a group used through it lives on the gateway
    int proxy = proxyNode.config().proxy().port();
    try (WsClient a = WsClient.connect(vertx, proxy); WsClient b = WsClient.connect(vertx, proxy)) {
      a.join("lite-room");
      b.join("lite-room");
      b.publish("lite-room", "through a lite member");
      assertEquals("through a lite member", a.nextMessage("lite-room").getString("body"));
    }
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitReached(Vertx vertx, WebClient http, int proxyPort, Predicate<Set<String>> condition) {
    Promise<Void> done = Promise.promise();
    long deadline = System.currentTimeMillis() + 15_000;
    List<Set<String>> history = new ArrayList<>();
    vertx.setPeriodic(100, id -> {
      if (done.future().isComplete()) {
        return;
      }
      Set<String> seen = new HashSet<>();
      List<io.vertx.core.Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < 9; i++) {
        calls.add(http.get(proxyPort, "127.0.0.1", "/health/ready").send()
            .onSuccess(r -> seen.add(r.bodyAsJsonObject().getString("node"))));
      }
      io.vertx.core.Future.join(calls).onComplete(ar -> {
        history.add(seen);
        if (condition.test(seen)) {
          vertx.cancelTimer(id);
          done.tryComplete();
        } else if (System.currentTimeMillis() > deadline) {
          vertx.cancelTimer(id);
          done.tryFail("condition never held; nodes reached: " + history);
        }
      });
    });
    Await.result(done.future(), 20);
  }
}
