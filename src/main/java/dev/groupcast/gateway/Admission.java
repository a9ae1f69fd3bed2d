package dev.groupcast.gateway;

import dev.groupcast.auth.Authenticator;
import dev.groupcast.auth.Credentials;
import dev.groupcast.auth.Identity;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.error.ProtocolException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Who may open a client connection, the same on every transport: the browser's origin
 * ({@code http.allowedOrigins}, on the HTTP requests that open or carry a connection), the number of
 * connections from the client's address ({@code limits.connectionsPerIp}; behind a trusted proxy, the
 * client it forwards for), and the token presented at connect ({@code auth.*}). A transport asks once
 * per connection and adapts its socket to a session only when admitted; a refusal is a
 * {@link ProtocolException} ({@code rate_limited}, {@code unauthorized}) the transport turns into its own
 * answer (an HTTP status, or an error frame and a close).
 */
final class Admission {

  private final Authenticator auth;
  private final ConnectionsPerAddress perAddress;
  private final OriginCheck origins;

  Admission(Authenticator auth, ConnectionsPerAddress perAddress, OriginCheck origins) {
    this.auth = auth;
    this.perAddress = perAddress;
    this.origins = origins;
  }

  /** The route handler that refuses browser handshakes from other sites with 403. */
  Handler<RoutingContext> origins() {
    return origins;
  }

  Authenticator auth() {
    return auth;
  }

  /**
   * Admits a connection from {@code peer} that sent {@code headers} (and {@code ?token=}, if any):
   * counted against its address, then authenticated when it brings a token or one is required. On
   * success the caller owns an {@link Admitted} whose {@link Admitted#release} it calls as the
   * connection closes; on failure nothing is held.
   */
  Future<Admitted> admit(SocketAddress peer, MultiMap headers, String queryToken) {
    Future<Admitted> counted = admitByAddress(peer, headers);
    if (counted.failed()) {
      return counted;
    }
    Admitted admitted = counted.result();
    String token = Credentials.atConnect(headers, queryToken);
    if (token == null && !auth.required()) {
      return Future.succeededFuture(admitted);
    }
    return auth.authenticate(token)
        .map(identity -> admitted.as(identity))
        .recover(e -> {
          admitted.release();
          return Future.failedFuture(e instanceof ProtocolException ? e
              : new ProtocolException(ErrorCode.UNAUTHORIZED, "invalid token"));
        });
  }

  /**
   * Admits a connection by its address alone: counted against it, or refused past
   * {@code limits.connectionsPerIp}. A bridge connection is admitted so; its tokens come later, in its
   * messages' headers ({@link BridgeHook}). Completed at once.
   */
  Future<Admitted> admitByAddress(SocketAddress peer, MultiMap headers) {
    String address = perAddress.clientOf(peer, headers);
    if (!perAddress.tryOpen(address)) {
      return Future.failedFuture(new ProtocolException(ErrorCode.RATE_LIMITED,
          "at most " + perAddress.limit() + " connections per client address (limits.connectionsPerIp)"));
    }
    return Future.succeededFuture(new Admitted(address));
  }

  /** An admitted connection: who it proved to be (null: anonymous) and its place in the address count. */
  final class Admitted {

    private final String address;
    private final AtomicBoolean released = new AtomicBoolean();
    private Identity identity;

    private Admitted(String address) {
      this.address = address;
    }

    private Admitted as(Identity identity) {
      this.identity = identity;
      return this;
    }

    Identity identity() {
      return identity;
    }

    /** The connection closed (or never opened): its address may open another. Once only, whoever calls. */
    void release() {
      if (released.compareAndSet(false, true)) {
        perAddress.closed(address);
      }
    }
  }
}
