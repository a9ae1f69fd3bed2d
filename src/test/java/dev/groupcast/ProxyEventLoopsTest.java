package dev.groupcast;

import dev.groupcast.config.ConfigLoader;
import dev.groupcast.config.GroupcastConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ProxyEventLoopsTest {

  private static GroupcastConfig config(String roles, String loops) {
    return ConfigLoader.load(null, Map.of("GROUPCAST_ROLES", roles, "GROUPCAST_PROXY_EVENT_LOOPS", loops));
  }

  @Test
  void autoIsACorePerLoopWithAGatewayAndHalfTheCoresForAProxyOnlyNode() {
    assertEquals(8, GroupcastNode.proxyEventLoops(config("gateway,proxy", "0"), 8));
    assertEquals(4, GroupcastNode.proxyEventLoops(config("proxy", "0"), 8));
    assertEquals(1, GroupcastNode.proxyEventLoops(config("proxy", "0"), 2));
    assertEquals(1, GroupcastNode.proxyEventLoops(config("proxy", "0"), 1));
    assertEquals(3, GroupcastNode.proxyEventLoops(config("proxy", "3"), 2), "an explicit value wins");
  }
}
