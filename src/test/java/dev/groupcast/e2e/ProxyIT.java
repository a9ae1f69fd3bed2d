package dev.groupcast.e2e;

import dev.groupcast.support.Await;
import dev.groupcast.support.JarCluster;
import dev.groupcast.support.SockJsClient;
import dev.groupcast.support.TestCluster;
import dev.groupcast.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A {@code roles=proxy} fat jar in front of two fat-jar gateway nodes, as users deploy it. */
@ExtendWith(VertxExtension.class)
class ProxyIT {

  @Test
  void theProxyProcessSpreadsClientsOverTheNodesAndDropsAKilledOne(Vertx vertx) throws Exception {
    List<Map<String, String>> envs = TestCluster.nodeEnvs("pxit", 3, Map.of());
    envs.get(2).put("GROUPCAST_ROLES", "proxy");
    try (JarCluster cluster = JarCluster.start(vertx, "pxit", envs)) {
      int proxy = cluster.node(2).httpPort;
      JarCluster.awaitProxyReaches(vertx, proxy, Set.of("pxit-a", "pxit-b"));

      List<WsClient> clients = new ArrayList<>();
      Set<String> nodes = new HashSet<>();
      for (int i = 0; i < 4; i++) {
        WsClient c = WsClient.connect(vertx, proxy);
        clients.add(c);
        nodes.add(c.welcome.getString("node"));
        c.join("e2e-proxy");
      }
      assertEquals(Set.of("pxit-a", "pxit-b"), nodes, "round-robin over both nodes");
      // the proxy-only process has its own health and metrics on its HTTP port
      int opsPort = Integer.parseInt(envs.get(2).get("GROUPCAST_HTTP_PORT"));
      WebClient ops = WebClient.create(vertx);
      JsonObject own = Await.result(ops.get(opsPort, "127.0.0.1", "/health/ready").send()).bodyAsJsonObject();
      assertEquals("pxit-c", own.getString("node"), "the proxy's own readiness, not a backend's");
      String metrics = Await.result(ops.get(opsPort, "127.0.0.1", "/metrics").send()).bodyAsString();
      String backendA = "127.0.0.1:" + envs.get(0).get("GROUPCAST_HTTP_PORT");
      assertTrue(metrics.contains("groupcast_proxy_tunnels{backend=\"" + backendA + "\"} 2.0"), metrics);
      assertTrue(metrics.contains("groupcast_proxy_backend_up{backend=\"" + backendA + "\"} 1.0"), metrics);
      assertTrue(metrics.contains("groupcast_proxy_requests_total{backend=\"" + backendA + "\",status=\"101\"} 2.0"),
          metrics);
      assertTrue(Await.result(ops.get(opsPort, "127.0.0.1", "/admin/").send()).bodyAsString().contains("admin.js"),
          "the dashboard on every node");
      assertEquals(3, Await.result(ops.get(opsPort, "127.0.0.1", "/admin/api/nodes").send()).bodyAsJsonObject()
          .getJsonArray("nodes").size());
      clients.get(0).publish("e2e-proxy", "through the proxy");
      for (WsClient c : clients) {
        assertEquals("through the proxy", c.nextMessage("e2e-proxy").getString("body"));
      }

      // a polling SockJS session only works if all its requests reach one node
      try (SockJsClient polling = SockJsClient.v1(vertx, proxy, SockJsClient.Transport.XHR_POLLING)) {
        polling.join("e2e-proxy");
        clients.get(1).publish("e2e-proxy", "to the poller");
        assertEquals("to the poller", polling.nextMessage("e2e-proxy").getString("body"));
        assertEquals("ack", polling.publish("e2e-proxy", "from the poller").getString("type"));
        assertEquals("from the poller", clients.get(0).next(f -> "from the poller".equals(f.getValue("body")))
            .getString("body"));
      }

      cluster.node(0).kill();
      long killed = System.currentTimeMillis();
      WebClient http = WebClient.create(vertx);
      for (int i = 0; i < 6; i++) {
        JsonObject ready = Await.result(http.get(proxy, "127.0.0.1", "/health/ready").send()).bodyAsJsonObject();
        assertEquals("pxit-b", ready.getString("node"), "no request reaches the killed node: " + ready);
      }
      assertTrue(System.currentTimeMillis() - killed < 2000);
      try (WsClient again = WsClient.connect(vertx, proxy)) {
        assertEquals("pxit-b", again.welcome.getString("node"));
      }
      clients.forEach(WsClient::close);
    }
  }
}
