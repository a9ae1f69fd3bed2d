package dev.groupcast.e2e;

import dev.groupcast.support.Await;
import dev.groupcast.support.JarProcess;
import dev.groupcast.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A gateway with every default (HTTP 8080, cluster 5701) and, on the same machine, a proxy-only node
 * given nothing but its role and what it proxies: first the cluster (it discovers the gateway through
 * {@code cluster.members}), then a static backend list (it joins no cluster at all). No port collides,
 * and the proxy's own health and metrics are on the port after its proxy port.
 */
@ExtendWith(VertxExtension.class)
class ProxyBesideGatewayIT {

  @Test
  void aProxyOnlyNodeNeedsNoPortOfItsOwnBesideAGatewayWithDefaults(Vertx vertx) throws Exception {
    for (int port : List.of(8080, 5701, 8000, 8001)) {
      assumeTrue(free(port), "the defaults' ports must be free on this machine: " + port + " is taken");
    }
    WebClient http = WebClient.create(vertx);
    try (JarProcess gateway = JarProcess.start("beside-gateway", Map.of("GROUPCAST_NODE_ID", "gw"))) {
      Await.result(gateway.ready(vertx, 60_000), 70);

      try (JarProcess proxy = JarProcess.start("beside-proxy-cluster", Map.of("GROUPCAST_NODE_ID", "px1",
          "GROUPCAST_ROLES", "proxy", "GROUPCAST_CLUSTER_MEMBERS", "127.0.0.1:5701"))) {
        Await.result(proxy.ready(vertx, 60_000), 70); // through the proxy: the gateway answers
        try (WsClient client = WsClient.connect(vertx, 8000)) {
          assertEquals("gw", client.welcome.getString("node"), "the gateway, found through the cluster");
        }
        assertEquals("px1", Await.result(http.get(8001, "127.0.0.1", "/health/ready").send())
            .bodyAsJsonObject().getString("node"), "the proxy's own health on proxy.port + 1");
        Await.until("the proxy is a member of the gateway's cluster", 10,
            () -> metric(http, 8080, "groupcast_cluster_size").startsWith("2.0"));
        assertEquals(0, proxy.terminate());
      }

      try (JarProcess proxy = JarProcess.start("beside-proxy-static", Map.of("GROUPCAST_NODE_ID", "px2",
          "GROUPCAST_ROLES", "proxy", "GROUPCAST_PROXY_BACKENDS", "127.0.0.1:8080"))) {
        Await.result(proxy.ready(vertx, 60_000), 70);
        try (WsClient client = WsClient.connect(vertx, 8000)) {
          assertEquals("gw", client.welcome.getString("node"));
        }
        Await.until("the first proxy left", 10, () -> metric(http, 8080, "groupcast_cluster_size").startsWith("1.0"));
        assertTrue(proxy.log().contains("roles proxy, no cluster"), "and joins none");
        assertEquals(0, proxy.terminate());
      }
      assertEquals(0, gateway.terminate());
    }
  }

  private static String metric(WebClient http, int port, String name) {
    String text = Await.result(http.get(port, "127.0.0.1", "/metrics").send()).bodyAsString();
    return text.lines().filter(l -> l.startsWith(name + " ")).map(l -> l.substring(name.length() + 1))
        .findFirst().orElseThrow(() -> new AssertionError(name + " not in " + text));
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
