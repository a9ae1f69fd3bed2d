package dev.groupcast.gateway;

import dev.groupcast.ops.HttpErrors;
import dev.groupcast.error.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Against cross-site WebSocket hijacking: with {@code http.allowedOrigins} set, a browser handshake
 * from another origin is refused with 403. Browsers always send {@code Origin} on these requests;
 * a request without one (a server-side client) is not a browser and passes, and so does a page the
 * node served itself (same origin).
 */
final class OriginCheck implements Handler<RoutingContext> {

  private final Set<String> allowed;

  OriginCheck(List<String> allowedOrigins) {
    this.allowed = allowedOrigins.stream().map(o -> o.toLowerCase(Locale.ROOT).replaceAll("/+$", ""))
        .collect(Collectors.toUnmodifiableSet());
  }

  @Override
  public void handle(RoutingContext rc) {
    String origin = rc.request().getHeader(HttpHeaders.ORIGIN);
    if (allowed.isEmpty() || allowed.contains("*") || origin == null
        || allowed.contains(origin.toLowerCase(Locale.ROOT)) || sameOrigin(origin, rc.request().getHeader(HttpHeaders.HOST))) {
      rc.next();
      return;
    }
    HttpErrors.send(rc.response(), 403, ErrorCode.FORBIDDEN, "origin " + origin + " is not allowed (http.allowedOrigins)");
  }

  /** A page served by this node itself (the demo) is always allowed: its origin is our Host. */
  static boolean sameOrigin(String origin, String host) {
    if (host == null) {
      return false;
    }
    int scheme = origin.indexOf("://");
    String authority = scheme < 0 ? origin : origin.substring(scheme + 3);
    return authority.equalsIgnoreCase(host);
  }
}
