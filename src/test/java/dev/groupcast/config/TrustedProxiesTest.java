package dev.groupcast.config;

import io.vertx.core.MultiMap;
import io.vertx.core.net.SocketAddress;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TrustedProxiesTest {

  private static final TrustedProxies PRIVATE = TrustedProxies.parse(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"));

  private static String client(TrustedProxies trusted, String peer, String... forwarded) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (String f : forwarded) {
      headers.add("X-Forwarded-For", f);
    }
    return trusted.clientOf(SocketAddress.inetSocketAddress(1234, peer), headers);
  }

  @Test
  void anUntrustedPeerIsTheClientWhateverItForwards() {
    assertEquals("203.0.113.1", client(PRIVATE, "203.0.113.1", "10.1.1.1"));
    assertEquals("10.1.1.1", client(TrustedProxies.NONE, "10.1.1.1", "203.0.113.9"));
  }

  @Test
  void aTrustedPeerNamesTheRightmostUntrustedHop() {
    assertEquals("203.0.113.9", client(PRIVATE, "10.2.3.4", "203.0.113.9"));
    assertEquals("203.0.113.9", client(PRIVATE, "10.2.3.4", "6.6.6.6, 203.0.113.9, 10.9.9.9"));
    assertEquals("203.0.113.9", client(PRIVATE, "192.168.1.7", "6.6.6.6", "203.0.113.9"), "repeated headers join");
    assertEquals("10.8.8.8", client(PRIVATE, "10.2.3.4", "10.8.8.8, 10.9.9.9"), "all trusted: the leftmost");
    assertEquals("192.168.1.8", client(PRIVATE, "192.168.1.7", "192.168.1.8"), "an address, not a range");
    assertEquals("2001:db8::1", client(PRIVATE, "fd12::1", "2001:db8::1"));
  }

  @Test
  void noOrGarbageForwardingFallsBackToThePeer() {
    assertEquals("10.2.3.4", client(PRIVATE, "10.2.3.4"));
    assertEquals("10.2.3.4", client(PRIVATE, "10.2.3.4", "not-an-address"));
    assertEquals("10.2.3.4", client(PRIVATE, "10.2.3.4", "1.2.3.4.5"));
  }

  @Test
  void badEntriesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse(List.of("example.com")));
    assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse(List.of("10.0.0.0/x")));
    assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse(List.of("fd00::/129")));
  }
}
