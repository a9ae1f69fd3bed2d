package dev.groupcast.proxy;

import dev.groupcast.config.HostPort;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One upstream node and what the proxy knows of its health. Passive health works like nginx's
 * {@code max_fails}/{@code fail_timeout}: {@code maxFails} failures within {@code failTimeout} make
 * the backend unavailable for {@code failTimeout}. The active check (cluster backends only) sets
 * {@link #healthy}. Shared by every proxy event loop, hence the atomics.
 */
public final class Backend {

  private final HostPort address;
  private final String key;
  /** Open tunnels and requests in flight: what {@code least-conn} compares; counted by {@link Lease}s. */
  private final AtomicInteger active = new AtomicInteger();
  /** Open WebSocket tunnels. */
  private final AtomicInteger tunnels = new AtomicInteger();
  private final ArrayDeque<Long> recentFailures = new ArrayDeque<>();
  private volatile long unavailableUntil;
  volatile boolean healthy = true;

  Backend(HostPort address) {
    this.address = address;
    this.key = address.toString();
  }

  public HostPort address() {
    return address;
  }

  public String key() {
    return key;
  }

  public int active() {
    return active.get();
  }

  public int tunnels() {
    return tunnels.get();
  }

  /** Takes the backend for one request or tunnel: counted as active until the lease is released. */
  Lease lease() {
    active.incrementAndGet();
    return new Lease();
  }

  /**
   * One request or tunnel on this backend. {@link #release} gives it back exactly once, whichever of
   * the ways an exchange can end calls it first (answered, failed, retried elsewhere, tunnel closed).
   */
  final class Lease {

    private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean tunnel;

    Backend backend() {
      return Backend.this;
    }

    /** The exchange became a WebSocket tunnel: counted among the backend's tunnels until released. */
    void tunnelOpened() {
      if (!released.get() && !tunnel) {
        tunnel = true;
        tunnels.incrementAndGet();
      }
    }

    void release() {
      if (released.compareAndSet(false, true)) {
        if (tunnel) {
          tunnels.decrementAndGet();
        }
        active.decrementAndGet();
      }
    }
  }

  /** Healthy (active check) and not benched by passive health. */
  public boolean available(long now) {
    return healthy && now >= unavailableUntil;
  }

  /** Counts a failed connection attempt; {@code maxFails} 0 turns passive health off. */
  synchronized void failed(long now, int maxFails, long failTimeoutMs) {
    if (maxFails <= 0) {
      return;
    }
    recentFailures.addLast(now);
    while (!recentFailures.isEmpty() && recentFailures.peekFirst() <= now - failTimeoutMs) {
      recentFailures.pollFirst();
    }
    if (recentFailures.size() >= maxFails) {
      unavailableUntil = now + failTimeoutMs;
      recentFailures.clear();
    }
  }

  @Override
  public String toString() {
    return key;
  }
}
