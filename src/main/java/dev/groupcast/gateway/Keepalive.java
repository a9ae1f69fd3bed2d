package dev.groupcast.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * WebSocket keepalive for one event loop: pings every connection each {@code ws.pingInterval} and
 * closes one whose pong is later than {@code ws.pongTimeout} (a dead peer, a half-open connection, a
 * client that stopped reading). One timer for all the loop's connections.
 */
final class Keepalive {

  private static final Buffer PING = Buffer.buffer("gc");

  private final long pingIntervalNanos;
  private final long pongTimeoutNanos;
  /** Per socket: {lastPingAt, unansweredSince}, and how to close it when its pong is late. */
  private record Watched(long[] state, Runnable timeout) {
  }

  private final Map<ServerWebSocket, Watched> sockets = new HashMap<>();

  Keepalive(Vertx vertx, Duration pingInterval, Duration pongTimeout) {
    this.pingIntervalNanos = pingInterval.toNanos();
    this.pongTimeoutNanos = pongTimeout.toNanos();
    long tick = Math.max(50, Math.min(pingInterval.toMillis(), pongTimeout.toMillis()) / 2);
    vertx.setPeriodic(tick, id -> tick());
  }

  void watch(ServerWebSocket ws, Runnable timeout) {
    long[] state = {System.nanoTime(), 0};
    sockets.put(ws, new Watched(state, timeout));
    ws.pongHandler(b -> state[1] = 0);
  }

  void forget(ServerWebSocket ws) {
    sockets.remove(ws);
  }

  private void tick() {
    long now = System.nanoTime();
    sockets.entrySet().removeIf(e -> {
      ServerWebSocket ws = e.getKey();
      long[] state = e.getValue().state();
      if (ws.isClosed()) {
        return true;
      }
      if (state[1] != 0 && now - state[1] >= pongTimeoutNanos) {
        e.getValue().timeout().run();
        return true;
      }
      if (now - state[0] >= pingIntervalNanos) {
        state[0] = now;
        if (state[1] == 0) {
          state[1] = now;
        }
        ws.writePing(PING);
      }
      return false;
    });
  }
}
