package dev.groupcast.support;

import io.vertx.core.Future;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits on the test thread (never an event loop) for a future, with a deadline. */
public final class Await {

  public static final long DEFAULT_SECONDS = 15;

  private Await() {
  }

  public static <T> T result(Future<T> future) {
    return result(future, DEFAULT_SECONDS);
  }

  public static <T> T result(Future<T> future, long seconds) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("future failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("no result within " + seconds + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * Polls {@code condition} on the test thread every 50 ms until it holds; fails with the description
   * after {@code seconds}. For state another process or thread changes, where no future tells.
   */
  public static void until(String description, long seconds, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + seconds + " s: " + description);
      }
      try {
        Thread.sleep(50); // polling a condition with a deadline, not waiting for a fixed time
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  public static Throwable failure(Future<?> future) {
    try {
      future.toCompletionStage().toCompletableFuture().get(DEFAULT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException | InterruptedException e) {
      throw new AssertionError("no failure within " + DEFAULT_SECONDS + " s", e);
    }
    throw new AssertionError("expected a failure, got success");
  }
}
