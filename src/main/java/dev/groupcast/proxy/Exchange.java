package dev.groupcast.proxy;

import io.vertx.core.http.HttpServerRequest;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One client request on its way to a backend: the backends tried so far, and the lease of the one it
 * is on now. A backend that refuses, or a draining node, sends it on to the next one.
 */
final class Exchange {

  final HttpServerRequest request;
  /** A WebSocket upgrade: it becomes a tunnel on a 101. */
  final boolean upgrade;
  private final Set<Backend> tried = new LinkedHashSet<>();
  private final Consumer<Exchange> connect;
  private Backend.Lease lease;
  /** The backends were checked again once for this request, when none looked usable. */
  boolean rechecked;

  /** {@code connect} takes the exchange to the next backend ({@link ProxyVerticle#connect}). */
  Exchange(HttpServerRequest request, boolean upgrade, Consumer<Exchange> connect) {
    this.request = request;
    this.upgrade = upgrade;
    this.connect = connect;
  }

  /** Leases the next usable backend not tried yet; null when none is left. */
  Backend.Lease next(BackendPool pool) {
    Backend backend = pool.pick(request, tried);
    if (backend == null) {
      return null;
    }
    tried.add(backend);
    lease = backend.lease();
    return lease;
  }

  boolean triedAny() {
    return !tried.isEmpty();
  }

  Backend.Lease lease() {
    return lease;
  }

  /** The backend the exchange went to last (the one that answered), or null. */
  Backend backend() {
    return lease == null ? null : lease.backend();
  }

  /** Nothing of the request was served here: give the backend back and try the next one. */
  void retryElsewhere() {
    lease.release();
    if (!request.response().closed()) {
      connect.accept(this);
    }
  }
}
