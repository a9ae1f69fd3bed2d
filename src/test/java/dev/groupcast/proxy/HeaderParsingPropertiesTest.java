package dev.groupcast.proxy;

import dev.groupcast.net.Upgrades;
import io.vertx.core.MultiMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Property tests: the proxy's header and path parsing take any input without failing. */
class HeaderParsingPropertiesTest {

  @Property(tries = 3000)
  void upgradeDetectionTakesAnyHeaderValues(@ForAll String upgrade, @ForAll String connection) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap().set("Upgrade", upgrade).set("Connection", connection);
    boolean expected = upgrade.trim().equalsIgnoreCase("websocket")
        && java.util.Arrays.stream(connection.split(",")).anyMatch(t -> t.trim().equalsIgnoreCase("upgrade"));
    assertEquals(expected, Upgrades.isWebSocketUpgrade(h));
  }

  @Property(tries = 3000)
  void sockJsPathsTakeAnyPath(@ForAll String path) {
    String key = SockJsPaths.sessionKey(path);
    if (key != null) {
      assertEquals(true, path.startsWith("/") && path.contains(key.substring(key.lastIndexOf('/') + 1)));
    }
  }

  @Property(tries = 2000)
  void theHashRingAlwaysPicksAMember(@ForAll String key) {
    var backends = java.util.List.of(new Backend(new dev.groupcast.config.HostPort("a", 1)),
        new Backend(new dev.groupcast.config.HostPort("b", 2)));
    assertEquals(true, backends.contains(new HashRing(backends).pick(key, b -> true)));
  }
}
