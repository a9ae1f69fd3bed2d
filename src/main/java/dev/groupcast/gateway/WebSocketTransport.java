package dev.groupcast.gateway;

import dev.groupcast.auth.Authenticator;
import dev.groupcast.auth.Identity;
import dev.groupcast.ops.NodeMetrics;
import dev.groupcast.group.ErrorCode;
import dev.groupcast.group.LocalHub;
import dev.groupcast.group.OutFrame;
import dev.groupcast.group.Outbound;
import dev.groupcast.group.Session;
import dev.groupcast.proxy.HeaderRules;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code GET /ws}: upgrades to a WebSocket and adapts it to a {@link Session}. */
final class WebSocketTransport implements Handler<RoutingContext> {

  private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

  private static final short CLOSE_TOO_BIG = 1009;

  /** The client cannot keep up: close rather than let its backlog grow. */
  static final short CLOSE_TRY_AGAIN_LATER = 1013;

  private final LocalHub hub;
  private final Session.Settings settings;
  private final int sendQueueBytes;
  private final Keepalive keepalive;
  private final Authenticator auth;
  private final ConnectionsPerAddress perAddress;

  WebSocketTransport(LocalHub hub, Session.Settings settings, int sendQueueBytes, Keepalive keepalive,
                     Authenticator auth, ConnectionsPerAddress perAddress) {
    this.perAddress = perAddress;
    this.hub = hub;
    this.settings = settings;
    this.sendQueueBytes = sendQueueBytes;
    this.keepalive = keepalive;
    this.auth = auth;
  }

  @Override
  public void handle(RoutingContext rc) {
    HttpServerRequest request = rc.request();
    if (!HeaderRules.isWebSocketUpgrade(request.headers())) {
      rc.response().putHeader(HttpHeaders.UPGRADE, "websocket");
      HttpErrors.send(rc.response(), 426, ErrorCode.BAD_REQUEST, "this endpoint takes WebSocket upgrades only");
      return;
    }
    // a token at connect (?token= or Authorization: Bearer) must be valid; with auth.required it must be there
    String token = Authenticator.tokenOf(request.headers(), request.getParam("token"));
    if (token == null && !auth.required()) {
      upgrade(rc, null);
      return;
    }
    request.pause();
    auth.authenticate(token).onComplete(ar -> {
      if (ar.failed()) {
        request.resume();
        HttpErrors.send(rc.response(), 401, ErrorCode.UNAUTHORIZED, ar.cause().getMessage());
      } else {
        upgrade(rc, ar.result());
      }
    });
  }

  private void upgrade(RoutingContext rc, Identity identity) {
    HttpServerRequest request = rc.request();
    String address = perAddress.clientOf(request.remoteAddress(), request.headers());
    if (!perAddress.tryOpen(address)) {
      HttpErrors.send(rc.response(), 429, ErrorCode.RATE_LIMITED,
          "at most " + perAddress.limit() + " connections per client address (limits.connectionsPerIp)");
      return;
    }
    HttpConnection connection = request.connection();
    request.toWebSocket()
        .onSuccess(ws -> {
          WriteQueueTrim.trim(ws, connection); // on the event loop, before the socket is shared
          attach(ws, FlushBatching.install(connection), identity, () -> perAddress.closed(address));
        })
        .onFailure(e -> {
          perAddress.closed(address);
          log.debug("WebSocket handshake from {} refused: {}", request.remoteAddress(), e.getMessage());
          HttpErrors.send(rc.response(), 400, ErrorCode.BAD_REQUEST, "bad WebSocket handshake");
        });
  }

  private void attach(ServerWebSocket ws, ChannelHandlerContext raw, Identity identity, Runnable onClosed) {
    ws.setWriteQueueMaxSize(sendQueueBytes);
    Session session = new Session(new WebSocketOutbound(ws, raw, hub.metrics()), hub, settings, auth, identity);
    keepalive.watch(ws);
    ws.textMessageHandler(session::onText);
    ws.binaryMessageHandler(b -> session.onBinary());
    ws.closeHandler(v -> {
      keepalive.forget(ws);
      onClosed.run();
      session.onClose();
    });
    ws.exceptionHandler(e -> {
      if (e instanceof CorruptedWebSocketFrameException || e instanceof IllegalStateException) {
        // a frame or message over the hard size limit: say so with the standard close code
        ws.close(CLOSE_TOO_BIG, "message too big");
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

    private final ServerWebSocket ws;
    private final ChannelHandlerContext raw;
    private final NodeMetrics metrics;
    private boolean flushPending;

    WebSocketOutbound(ServerWebSocket ws, ChannelHandlerContext raw, NodeMetrics metrics) {
      this.ws = ws;
      this.raw = raw;
      this.metrics = metrics;
    }

    @Override
    public String transport() {
      return NodeMetrics.TRANSPORT_WS;
    }

    @Override
    public void send(OutFrame frame) {
      if (raw != null && raw.executor().inEventLoop()) {
        Channel channel = raw.channel();
        if (!channel.isWritable()) {
          // limits.sendQueueBytes already wait for this client (the channel's high-water mark, set by
          // setWriteQueueMaxSize): it resumes elsewhere with since
          slowConsumer();
        } else if (channel.isActive()) {
          raw.write(frame.webSocketFrame().retainedDuplicate(), raw.voidPromise());
          if (!flushPending) {
            flushPending = true;
            PendingFlushes.add(this, raw.executor());
          }
        }
        return;
      }
      if (ws.writeQueueFull()) {
        slowConsumer();
        return;
      }
      ByteBuf bytes = ((BufferInternal) frame.utf8()).getByteBuf();
      ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, bytes, true));
    }

    private void slowConsumer() {
      if (!ws.isClosed()) {
        metrics.slowConsumer();
        ws.close(CLOSE_TRY_AGAIN_LATER, "slow consumer");
      }
    }

    @Override
    public void flushNow() {
      flushPending = false;
      raw.flush(); // from the batching handler's own context: straight to the socket
    }

    @Override
    public void close(int code, String reason) {
      ws.close((short) code, reason);
    }
  }
}
