package dev.groupcast.gateway;

import dev.groupcast.error.CloseCodes;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.error.ProtocolException;
import dev.groupcast.group.FrameRun;
import dev.groupcast.group.LocalHub;
import dev.groupcast.group.OutFrame;
import dev.groupcast.group.Outbound;
import dev.groupcast.group.Session;
import dev.groupcast.net.FlushBatching;
import dev.groupcast.net.GracefulClose;
import dev.groupcast.net.PendingFlushes;
import dev.groupcast.net.Upgrades;
import dev.groupcast.net.WebSocketFrames;
import dev.groupcast.net.WriteQueueTrim;
import dev.groupcast.ops.HttpErrors;
import dev.groupcast.ops.NodeMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Function;

/** {@code GET /ws}: admits the client, upgrades to a WebSocket and adapts it to a {@link Session}. */
final class WebSocketTransport implements Handler<RoutingContext> {

  private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

  private final Vertx vertx;
  private final LocalHub hub;
  private final Session.Settings settings;
  private final int sendQueueBytes;
  private final Keepalive keepalive;
  private final Admission admission;

  WebSocketTransport(Vertx vertx, LocalHub hub, Session.Settings settings, int sendQueueBytes, Keepalive keepalive,
                     Admission admission) {
    this.vertx = vertx;
    this.hub = hub;
    this.settings = settings;
    this.sendQueueBytes = sendQueueBytes;
    this.keepalive = keepalive;
    this.admission = admission;
  }

  @Override
  public void handle(RoutingContext rc) {
    HttpServerRequest request = rc.request();
    if (!Upgrades.isWebSocketUpgrade(request.headers())) {
      rc.response().putHeader(HttpHeaders.UPGRADE, "websocket");
      HttpErrors.send(rc.response(), 426, ErrorCode.BAD_REQUEST, "this endpoint takes WebSocket upgrades only");
      return;
    }
    request.pause(); // while the token is checked
    admission.admit(request.remoteAddress(), request.headers(), request.getParam("token")).onComplete(ar -> {
      if (ar.failed()) {
        request.resume();
        ProtocolException e = (ProtocolException) ar.cause();
        HttpErrors.send(rc.response(), e.code().httpStatus(), e.code(), e.getMessage());
      } else {
        upgrade(rc, ar.result());
      }
    });
  }

  private void upgrade(RoutingContext rc, Admission.Admitted admitted) {
    HttpServerRequest request = rc.request();
    HttpConnection connection = request.connection();
    request.toWebSocket()
        .onSuccess(ws -> {
          WriteQueueTrim.trim(ws, connection); // on the event loop, before the socket is shared
          attach(ws, FlushBatching.install(connection), admitted);
        })
        .onFailure(e -> {
          admitted.release();
          log.debug("WebSocket handshake from {} refused: {}", request.remoteAddress(), e.getMessage());
          HttpErrors.send(rc.response(), 400, ErrorCode.BAD_REQUEST, "bad WebSocket handshake");
        });
  }

  private void attach(ServerWebSocket ws, ChannelHandlerContext raw, Admission.Admitted admitted) {
    ws.setWriteQueueMaxSize(sendQueueBytes);
    if (raw != null) {
      GracefulClose.onProtocolViolation(raw);
    }
    WebSocketOutbound out = new WebSocketOutbound(ws, raw, hub.metrics(), new InputPause(vertx, ws));
    Session session = new Session(out, hub, settings, admission.auth(), admitted.identity());
    keepalive.watch(ws, () -> out.close(CloseCodes.PONG_TIMEOUT, "pong timeout"));
    ws.textMessageHandler(session::onText);
    ws.binaryMessageHandler(b -> session.onBinary());
    ws.closeHandler(v -> {
      keepalive.forget(ws);
      admitted.release();
      session.onClose();
    });
    ws.exceptionHandler(e -> {
      if (e instanceof CorruptedWebSocketFrameException || e instanceof IllegalStateException) {
        // a frame or message over the hard size limit: say so with the standard close code
        out.close(CloseCodes.TOO_BIG, "message too big");
      }
      log.debug("session {}: {}", session.id(), e.toString());
    });
    session.open();
  }

  /**
   * Writes frames framed once per node: the pre-encoded WebSocket frame goes under the encoder
   * ({@code raw}, on the connection's event loop), so a member costs a buffer duplicate, and the
   * flush is shared with every other connection written to in the same event-loop turn
   * ({@link PendingFlushes}). Without {@code raw}, the shared UTF-8 bytes go through Vert.x's WebSocket.
   */
  private static final class WebSocketOutbound implements Outbound, PendingFlushes.Flushable {

    /** A frame's WebSocket form, built once per node for all members. */
    private static final Function<OutFrame, ByteBuf> FRAMING = f -> WebSocketFrames.text(f.utf8(), f.shared());
    /** A run's WebSocket form: its frames back to back, built once per node for all members. */
    private static final Function<FrameRun, ByteBuf> RUN_FRAMING =
        r -> WebSocketFrames.texts(r.size(), i -> r.frame(i).utf8());

    private final ServerWebSocket ws;
    private final ChannelHandlerContext raw;
    private final NodeMetrics metrics;
    private final InputPause inputPause;
    private boolean flushPending;

    WebSocketOutbound(ServerWebSocket ws, ChannelHandlerContext raw, NodeMetrics metrics, InputPause inputPause) {
      this.inputPause = inputPause;
      this.ws = ws;
      this.raw = raw;
      this.metrics = metrics;
    }

    @Override
    public String transport() {
      return NodeMetrics.TRANSPORT_WS;
    }

    @Override
    public void pauseInput(long nanos) {
      inputPause.pause(nanos);
    }

    @Override
    public void send(OutFrame frame) {
      if (raw != null && raw.executor().inEventLoop()) {
        writeRaw(frame.wire(FRAMING));
        return;
      }
      if (ws.writeQueueFull()) {
        slowConsumer();
        return;
      }
      ByteBuf bytes = ((BufferInternal) frame.utf8()).getByteBuf();
      ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, bytes, true));
    }

    @Override
    public void send(FrameRun run) {
      if (raw != null && raw.executor().inEventLoop()) {
        writeRaw(run.wire(RUN_FRAMING));
      } else {
        Outbound.super.send(run);
      }
    }

    /** Writes a frame (or frames) framed for every member, under the encoder; flushed with the others. */
    private void writeRaw(ByteBuf shared) {
      Channel channel = raw.channel();
      if (GracefulClose.closing(channel)) {
        return; // closed by the server: the client gets the close frame and nothing after it
      }
      if (!channel.isWritable()) {
        // limits.sendQueueBytes already wait for this client (the channel's high-water mark, set by
        // setWriteQueueMaxSize): it resumes elsewhere with since
        slowConsumer();
      } else if (channel.isActive()) {
        raw.write(shared.retainedDuplicate(), raw.voidPromise());
        if (!flushPending) {
          flushPending = true;
          PendingFlushes.add(this, raw.executor());
        }
      }
    }

    private void slowConsumer() {
      if (!ws.isClosed() && (raw == null || !GracefulClose.closing(raw.channel()))) {
        metrics.slowConsumer();
        close(CloseCodes.TRY_AGAIN_LATER, "slow consumer");
      }
    }

    @Override
    public void flushNow() {
      flushPending = false;
      raw.flush(); // from the batching handler's own context: straight to the socket
    }

    /** Every close the server decides on: a close frame the client gets, then the socket closed. */
    @Override
    public void close(int code, String reason) {
      if (raw == null) {
        ws.close((short) code, reason);
      } else {
        GracefulClose.close(raw, code, reason);
      }
    }
  }
}
