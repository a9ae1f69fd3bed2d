package dev.groupcast.net;

import io.netty.util.internal.shaded.org.jctools.queues.MpscUnboundedArrayQueue;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.Queue;

/**
 * Gives a WebSocket's two Vert.x write queues a small first chunk. Vert.x 5.0.10 gives every
 * connection an outbound queue of Netty's default shape, whose first chunk holds 1024 slots (4 KB)
 * whether or not anything ever waits in it, and an upgraded WebSocket keeps two (its HTTP
 * connection's and its own): 8 of the 15.5 KB an idle connection cost. The queues only fill while a
 * socket is not writable, and then grow chunk by chunk, so a 16-slot chunk costs nothing in the
 * common case and a few links under back-pressure.
 *
 * <p>This reaches into Vert.x internals ({@code VertxConnection.outboundMessageQueue},
 * {@code OutboundMessageQueue.mqp}, {@code MessagePassingQueue.queue}); the fields are looked up once,
 * and if a Vert.x upgrade moves them the trim is skipped with one warning, never failing a connection.
 * {@code WriteQueueTrimTest} fails on such an upgrade so it does not go unnoticed.
 */
public final class WriteQueueTrim {

  private static final Logger log = LoggerFactory.getLogger(WriteQueueTrim.class);
  static final int CHUNK = 16;

  private static final Field WEB_WRAPPER;
  private static final Field WEBSOCKET_CONNECTION;
  private static final Field CONNECTION_QUEUE;
  private static final Field MESSAGE_CHANNEL;
  private static final Field QUEUE;

  static {
    Field[] fields = null;
    try {
      fields = new Field[] {
          field("io.vertx.ext.web.impl.ServerWebSocketWrapper", "delegate"),
          field("io.vertx.core.http.impl.WebSocketImplBase", "conn"),
          field("io.vertx.core.net.impl.VertxConnection", "outboundMessageQueue"),
          field("io.vertx.core.internal.concurrent.OutboundMessageQueue", "mqp"),
          field("io.vertx.core.streams.impl.MessagePassingQueue", "queue")};
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("idle connections keep Vert.x's 8 KB write queues (this Vert.x version has no {})", e.getMessage());
    }
    WEB_WRAPPER = fields == null ? null : fields[0];
    WEBSOCKET_CONNECTION = fields == null ? null : fields[1];
    CONNECTION_QUEUE = fields == null ? null : fields[2];
    MESSAGE_CHANNEL = fields == null ? null : fields[3];
    QUEUE = fields == null ? null : fields[4];
  }

  private WriteQueueTrim() {
  }

  private static Field field(String className, String name) throws ReflectiveOperationException {
    Field field = Class.forName(className).getDeclaredField(name);
    field.setAccessible(true);
    return field;
  }

  static boolean available() {
    return QUEUE != null;
  }

  /**
   * Trims the queues of a WebSocket just accepted and of the HTTP connection it came from. Call on
   * the connection's event loop before the socket is shared, so nothing else can be offering to a
   * queue as it is replaced; a queue that is not empty is left alone.
   */
  public static void trim(ServerWebSocket ws, Object httpConnection) {
    if (!available()) {
      return;
    }
    try {
      trimConnection(connectionOf(ws));
      trimConnection(httpConnection);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.debug("write queue not trimmed: {}", e.toString());
    }
  }

  private static void trimConnection(Object connection) throws ReflectiveOperationException {
    if (connection == null || !CONNECTION_QUEUE.getDeclaringClass().isInstance(connection)) {
      return;
    }
    Object channel = CONNECTION_QUEUE.get(connection);
    if (!MESSAGE_CHANNEL.getDeclaringClass().isInstance(channel)) {
      return;
    }
    Object messages = MESSAGE_CHANNEL.get(channel);
    Queue<?> queue = (Queue<?>) QUEUE.get(messages);
    if (queue.isEmpty()) {
      QUEUE.set(messages, new MpscUnboundedArrayQueue<>(CHUNK));
    }
  }

  /** The queue a connection writes through now, for the test that guards the trim. */
  static Queue<?> queueOf(Object connection) throws ReflectiveOperationException {
    return (Queue<?>) QUEUE.get(MESSAGE_CHANNEL.get(CONNECTION_QUEUE.get(connection)));
  }

  /** The WebSocket's own connection, through the wrapper vertx-web puts around it on a router. */
  static Object connectionOf(ServerWebSocket ws) throws ReflectiveOperationException {
    Object socket = WEB_WRAPPER.getDeclaringClass().isInstance(ws) ? WEB_WRAPPER.get(ws) : ws;
    return WEBSOCKET_CONNECTION.getDeclaringClass().isInstance(socket) ? WEBSOCKET_CONNECTION.get(socket) : null;
  }
}
