package dev.groupcast.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.streams.ReadStream;

import java.util.concurrent.TimeUnit;

/**
 * Stops reading from one client for a while: a client past its budget is slowed down at the socket
 * (its sends block once the buffers fill) instead of costing the node an answer per frame. One pause
 * at a time; a pause asked for while one runs is covered by it. Confined to the connection's loop.
 */
final class InputPause {

  private final Vertx vertx;
  private final ReadStream<?> input;
  private boolean paused;
  private boolean stopped;
  private long timer = -1;

  InputPause(Vertx vertx, ReadStream<?> input) {
    this.vertx = vertx;
    this.input = input;
  }

  void pause(long nanos) {
    if (paused || stopped || nanos <= 0) {
      return;
    }
    paused = true;
    input.pause();
    timer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)), id -> {
      timer = -1;
      paused = false;
      input.resume();
    });
  }

  /**
   * The connection is closed: a pause that runs now is never lifted, so what the client sent before it
   * went stays unread and goes with the connection, instead of being handled against state the
   * close already cleared.
   */
  void stop() {
    stopped = true;
    if (timer != -1) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
