package dev.groupcast.gateway;

import dev.groupcast.config.TrustedProxies;
import io.vertx.core.MultiMap;
import io.vertx.core.net.SocketAddress;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code limits.connectionsPerIp}: open client connections per client address on this node (0: no
 * limit). Behind a proxy listed in {@code http.trustedProxies} the client is the one it forwards for.
 */
public final class ConnectionsPerAddress {

  private final int limit;
  private final TrustedProxies trustedProxies;
  private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();

  public ConnectionsPerAddress(int limit, TrustedProxies trustedProxies) {
    this.limit = limit;
    this.trustedProxies = trustedProxies;
  }

  /** The address a connection from {@code peer} with these handshake headers counts against. */
  public String clientOf(SocketAddress peer, MultiMap headers) {
    return trustedProxies.clientOf(peer, headers);
  }

  /** Counts a new connection, or refuses it when the address has {@code limit} open already. */
  public boolean tryOpen(String address) {
    if (limit <= 0) {
      return true;
    }
    AtomicInteger count = open.computeIfAbsent(address, a -> new AtomicInteger());
    if (count.incrementAndGet() > limit) {
      closed(address);
      return false;
    }
    return true;
  }

  public void closed(String address) {
    if (limit <= 0) {
      return;
    }
    open.computeIfPresent(address, (a, count) -> count.decrementAndGet() <= 0 ? null : count);
  }

  public int limit() {
    return limit;
  }
}
