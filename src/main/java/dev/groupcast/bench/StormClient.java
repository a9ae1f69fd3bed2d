package dev.groupcast.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.VertxInternal;

import java.util.concurrent.ThreadLocalRandom;

/**
 * One {@code bench storm} client's connection, kept as {@code groupcast.js} keeps it: when it drops,
 * it reconnects after an exponential backoff with jitter, to the next of the URLs given (one URL: the
 * proxy in front of the nodes), for as long as the run lasts. Every callback
 * and timer of the client runs on one context of its own, whichever connection it is on.
 */
abstract class StormClient implements BenchSocket.Listener {

  /** groupcast.js's reconnect delays: the first at most this, doubling per failed attempt. */
  static final long MIN_DELAY_MS = 250;
  static final long MAX_DELAY_MS = 10_000;

  final StormRun run;
  final int index;
  final Context context;
  BenchSocket socket;
  boolean stopped;
  /** Set until the first connection is up: a server that is not there fails the run instead. */
  private Promise<Void> started;
  /** Set while the client closes and resumes of its own accord (a warm-up), not counted as a drop. */
  private Promise<Void> cycling;
  private int attempt;
  /** How far along the URLs from its own the client is: one further after each drop or refusal. */
  private int urlShift;

  StormClient(StormRun run, int index) {
    this.run = run;
    this.index = index;
    this.context = ((VertxInternal) run.vertx).createEventLoopContext();
  }

  /** The delay before reconnect attempt {@code attempt} (0 first), as groupcast.js draws it. */
  static long reconnectDelayMs(int attempt, double random) {
    long ceiling = Math.min(MAX_DELAY_MS, MIN_DELAY_MS << Math.min(attempt, 10));
    return (long) (ceiling / 2.0 + random * ceiling / 2.0);
  }

  /** Connects for the first time; completes once {@link #ready} says the client is set up. */
  Future<Void> start() {
    Promise<Void> connected = Promise.promise();
    started = connected; // before the context runs: ready() there may clear it at once
    context.runOnContext(v -> connect());
    return connected.future();
  }

  /** The first connection (and what follows it, such as a join) is set up. */
  void ready() {
    attempt = 0;
    if (started != null) {
      started.tryComplete();
      started = null;
    }
    if (cycling != null) {
      cycling.tryComplete();
      cycling = null;
    }
  }

  /**
   * Closes the connection and resumes at once, as a client that comes and goes does; completes once it
   * is set up again. Neither a drop nor a resume of the storm.
   */
  Future<Void> cycle() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      cycling = done;
      socket.close();
    });
    return done.future();
  }

  /** A connection is up (the first, or one after a drop). */
  abstract void opened(BenchSocket socket);

  /** The connection dropped, before the client reconnects. */
  abstract void dropped(long nanos);

  private void connect() {
    if (stopped) {
      return;
    }
    BenchSocket.open(run.vertx, run.client, run.url(index + urlShift), run.options.protocol(), this).onComplete(ar -> {
      if (ar.failed()) {
        if (started != null) {
          started.tryFail(ar.cause());
          return;
        }
        run.failedConnects.increment();
        run.lastConnectFailure = String.valueOf(ar.cause().getMessage());
        reconnectLater();
        return;
      }
      socket = ar.result();
      opened(socket);
    });
  }

  private void reconnectLater() {
    urlShift++;
    run.vertx.setTimer(reconnectDelayMs(attempt++, ThreadLocalRandom.current().nextDouble()), id -> connect());
  }

  @Override
  public final void closed(BenchSocket socket) {
    if (stopped || socket != this.socket) {
      return;
    }
    if (cycling != null) {
      connect();
      return;
    }
    long now = System.nanoTime();
    run.dropped(now);
    dropped(now);
    reconnectLater();
  }

  /** Stops reconnecting and closes the connection; completes once it is closed (no callback comes after). */
  Future<Void> stop() {
    Promise<Void> closed = Promise.promise();
    context.runOnContext(v -> {
      stopped = true;
      (socket == null ? Future.<Void>succeededFuture() : socket.close()).onComplete(ar -> closed.tryComplete());
    });
    return closed.future();
  }
}
