package dev.groupcast.proxy;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;

/**
 * {@code proxy.upgradeRate}: at most so many new WebSocket tunnels a second on this proxy node, as
 * HAProxy's {@code rate-limit sessions} does for a frontend. When a node dies, its clients all come
 * back within a few hundred milliseconds; opened at once, their handshakes and joins queue on the
 * survivors' event loops ahead of every other client's messages. Past the rate an upgrade waits its
 * turn, in arrival order, its request paused; at most {@link #MAX_WAIT_SECONDS} of them wait, and an
 * upgrade past that is refused (the caller answers 503 and the client's backoff spreads it further).
 * Shared by the node's proxy event loops; each admitted upgrade goes on on its own event loop.
 */
public final class UpgradeGate {

  /** How many seconds' worth of upgrades may wait. */
  static final int MAX_WAIT_SECONDS = 10;

  private final Vertx vertx;
  private final double perMs;
  /** Tokens stored while idle: a tenth of a second's worth, so a few upgrades together never wait. */
  private final double burst;
  private final int maxWaiting;
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  private double tokens;
  private long refilledAt;
  private boolean timerSet;

  private record Waiting(Context context, BooleanSupplier gone, Runnable start) {
  }

  /** The node's gate, or null when {@code perSecond} is 0 (no limit). */
  public static UpgradeGate of(Vertx vertx, int perSecond) {
    return perSecond <= 0 ? null : new UpgradeGate(vertx, perSecond);
  }

  private UpgradeGate(Vertx vertx, int perSecond) {
    this.vertx = vertx;
    this.perMs = perSecond / 1000.0;
    this.burst = Math.max(1, perSecond / 10.0);
    this.maxWaiting = perSecond * MAX_WAIT_SECONDS;
    this.tokens = burst;
    this.refilledAt = System.nanoTime();
  }

  /**
   * Runs {@code start} on {@code context} now if the rate allows, else once its turn comes; an upgrade
   * whose client is {@code gone} by then is passed over without spending the rate. False when too many
   * already wait: nothing is run, the caller refuses the upgrade.
   */
  boolean admit(Context context, BooleanSupplier gone, Runnable start) {
    synchronized (this) {
      refill();
      if (!waiting.isEmpty() || tokens < 1) {
        if (waiting.size() >= maxWaiting) {
          waiting.removeIf(w -> w.gone().getAsBoolean()); // clients that gave up hold no place
          if (waiting.size() >= maxWaiting) {
            return false;
          }
        }
        waiting.add(new Waiting(context, gone, start));
        scheduleDrain();
        return true;
      }
      tokens--;
    }
    start.run(); // on the caller's context already, and outside the lock the other event loops share
    return true;
  }

  private synchronized void drain() {
    timerSet = false;
    refill();
    while (!waiting.isEmpty() && tokens >= 1) {
      Waiting next = waiting.poll();
      if (next.gone().getAsBoolean()) {
        continue; // its client went while it waited: no tunnel, no token
      }
      tokens--;
      next.context().runOnContext(v -> next.start().run());
    }
    if (!waiting.isEmpty()) {
      scheduleDrain();
    }
  }

  private void scheduleDrain() {
    if (timerSet) {
      return;
    }
    timerSet = true;
    long untilToken = (long) Math.ceil((1 - tokens) / perMs);
    vertx.setTimer(Math.max(1, untilToken), id -> drain());
  }

  private void refill() {
    long now = System.nanoTime();
    tokens = Math.min(burst, tokens + (now - refilledAt) / 1_000_000.0 * perMs);
    refilledAt = now;
  }
}
