package dev.groupcast.cluster;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Hazelcast's futures as Vert.x futures whose listeners run on a given context.
 *
 * <p>Why not {@link Future#fromCompletionStage}: it registers with {@code whenComplete}, and Hazelcast
 * runs such callbacks on its default async executor, which, like the JDK's, is
 * {@code ForkJoinPool.commonPool()} only when that pool has a parallelism above 1, and otherwise
 * starts a new thread for every callback. The common pool's parallelism is the core count minus
 * one, so on 2 cores (this machine, and a pod with a CPU limit of 2) every cluster operation started
 * a thread, on Hazelcast's response threads: without them the many-groups benchmark took 154 instead
 * of 371 us of server CPU per message (README, "Many small groups").
 * Here the callback only completes a promise, which hands the listeners to the context: it runs
 * where the response arrives, without a thread of its own.
 */
public final class ClusterFutures {

  /** Runs a callback on the thread that completes the future: it must be short (it completes a promise). */
  private static final Executor WHERE_COMPLETED = Runnable::run;

  private ClusterFutures() {
  }

  public static <T> Future<T> on(Context context, CompletionStage<T> stage) {
    Promise<T> promise = ((ContextInternal) context).promise();
    stage.whenCompleteAsync((value, failure) -> {
      if (failure != null) {
        promise.tryFail(failure);
      } else {
        promise.tryComplete(value);
      }
    }, WHERE_COMPLETED);
    return promise.future();
  }
}
