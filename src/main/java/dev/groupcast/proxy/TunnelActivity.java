package dev.groupcast.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What a spliced tunnel did: bytes relayed, for the access log, and its {@code proxy.readTimeout}:
 * closed once neither side has read anything for that long. Every byte written to one side was read from the other, so reads alone tell activity both
 * ways. One timestamp per read burst and one timer per tunnel, where an idle handler on each
 * channel would cost a promise and a listener per write. Both relays run on the tunnel's event loop.
 */
final class TunnelActivity implements Runnable {

  private final EventExecutor loop;
  private final long timeoutNanos;
  private final Runnable close;
  private long lastRead = System.nanoTime();
  private long bytes;
  private ScheduledFuture<?> next;

  TunnelActivity(EventExecutor loop, Duration timeout, Runnable close) {
    this.loop = loop;
    this.timeoutNanos = timeout.toNanos();
    this.close = close;
  }

  void start() {
    schedule(timeoutNanos);
  }

  void read(int bytes) {
    lastRead = System.nanoTime();
    this.bytes += bytes;
  }

  /** Bytes relayed both ways. */
  long bytes() {
    return bytes;
  }

  void cancel() {
    if (next != null) {
      next.cancel(false);
    }
  }

  @Override
  public void run() {
    long quiet = System.nanoTime() - lastRead;
    if (quiet >= timeoutNanos) {
      close.run();
    } else {
      schedule(timeoutNanos - quiet);
    }
  }

  private void schedule(long delayNanos) {
    next = loop.schedule(this, delayNanos, TimeUnit.NANOSECONDS);
  }
}
