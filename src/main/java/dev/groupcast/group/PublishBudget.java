package dev.groupcast.group;

/**
 * A token bucket: {@code burst} publishes at once, refilled at {@code rate} a second. A rate of 0 means
 * no limit. Confined to its connection's event loop. Every client action that costs the cluster work
 * (a publish, a join, a presence query, a bridge publish or registration) draws on one.
 */
public final class PublishBudget {

  private final double ratePerNano;
  private final double burst;
  private double tokens;
  private long refilledAt;

  public PublishBudget(int ratePerSecond, int burst) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.refilledAt = System.nanoTime();
  }

  /** How long until a token is there again (0 if one is now); refills first. */
  public long nanosUntilToken(long nowNanos) {
    if (ratePerNano == 0) {
      return 0;
    }
    tokens = Math.min(burst, tokens + (nowNanos - refilledAt) * ratePerNano);
    refilledAt = nowNanos;
    return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / ratePerNano);
  }

  /** Takes one token if there is one. */
  public boolean take(long nowNanos) {
    if (ratePerNano == 0) {
      return true;
    }
    tokens = Math.min(burst, tokens + (nowNanos - refilledAt) * ratePerNano);
    refilledAt = nowNanos;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }
}
