package dev.groupcast.gateway;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code limits.connectionsPerIp}: open client connections per client address on this node (0: no limit). */
public final class ConnectionsPerAddress {

  private final int limit;
  private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();

  public ConnectionsPerAddress(int limit) {
    this.limit = limit;
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
