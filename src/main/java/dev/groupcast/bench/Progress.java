package dev.groupcast.bench;

import io.vertx.core.Vertx;

import java.io.PrintStream;
import java.util.function.Supplier;

/** The once-a-second progress line on stderr, so stdout stays the result alone. */
final class Progress {

  private final Vertx vertx;
  private final PrintStream err;
  private final long started = System.nanoTime();
  private volatile String status = "starting";
  private volatile Supplier<String> counters = () -> "";
  private long timer = -1;

  Progress(Vertx vertx, PrintStream err) {
    this.vertx = vertx;
    this.err = err;
    timer = vertx.setPeriodic(1000, id -> print());
  }

  void status(String text) {
    status = text;
    counters = () -> "";
  }

  void counters(Supplier<String> line) {
    status = "";
    counters = line;
  }

  private void print() {
    long seconds = (System.nanoTime() - started) / 1_000_000_000L;
    err.println("[" + seconds + "s] " + status + counters.get());
  }

  /** Stops the ticks and prints where things ended, so even a run under a second shows its counters. */
  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
      print();
    }
  }
}
