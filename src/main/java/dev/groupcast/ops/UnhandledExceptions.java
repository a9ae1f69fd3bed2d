package dev.groupcast.ops;

import dev.groupcast.error.ErrorCode;
import io.vertx.core.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Vert.x's handler of exceptions that no handler caught. Each one is counted as
 * {@code groupcast_errors_total{code="internal"}}; the log gets the first stack trace and then at most
 * one line per {@link #LOG_EVERY_NANOS} saying how many more came. Without it Vert.x logs every one
 * with its stack trace on the event loop that threw: a client that makes a handler throw per frame
 * (thousands of frames) stalls that loop on log I/O for everyone else on it.
 */
public final class UnhandledExceptions implements Handler<Throwable> {

  private static final Logger log = LoggerFactory.getLogger(UnhandledExceptions.class);
  static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final NodeMetrics metrics;
  private final AtomicLong nextLogAt = new AtomicLong(System.nanoTime());
  private final AtomicLong unlogged = new AtomicLong();

  public UnhandledExceptions(NodeMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void handle(Throwable e) {
    metrics.error(ErrorCode.INTERNAL, "unhandled " + e);
    long now = System.nanoTime();
    long due = nextLogAt.get();
    if (now - due < 0 || !nextLogAt.compareAndSet(due, now + LOG_EVERY_NANOS)) {
      unlogged.incrementAndGet();
      return;
    }
    long more = unlogged.getAndSet(0);
    if (more == 0) {
      log.error("Unhandled exception", e);
    } else {
      log.error("Unhandled exception, and {} more since the last one logged (all counted as errors of code"
          + " internal)", more, e);
    }
  }
}
