package dev.groupcast.gateway;

import dev.groupcast.auth.Authenticator;
import dev.groupcast.group.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * With auth on, the API and the dashboard take the admin credential: the API key or a JWT with
 * {@code "admin": true}, as a Bearer token, in {@code X-Api-Key}, or as the password of HTTP Basic
 * (any user name), which lets a browser open {@code /admin} with its own login prompt.
 */
final class AdminCheck implements Handler<RoutingContext> {

  static final String REALM = "Basic realm=\"groupcast admin\", charset=\"UTF-8\"";

  private final Authenticator auth;

  AdminCheck(Authenticator auth) {
    this.auth = auth;
  }

  @Override
  public void handle(RoutingContext rc) {
    String token = credential(rc);
    if (token == null) {
      rc.response().putHeader("WWW-Authenticate", REALM);
      HttpErrors.send(rc.response(), 401, ErrorCode.UNAUTHORIZED, "the admin credential is required");
      return;
    }
    auth.authenticate(token).onComplete(ar -> {
      if (ar.failed()) {
        rc.response().putHeader("WWW-Authenticate", REALM);
        rc.fail(ar.cause());
      } else if (!ar.result().admin()) {
        HttpErrors.send(rc.response(), 403, ErrorCode.FORBIDDEN, "this needs an admin credential");
      } else {
        rc.next();
      }
    });
  }

  static String credential(RoutingContext rc) {
    String authorization = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      try {
        String pair = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        return colon >= 0 && colon < pair.length() - 1 ? pair.substring(colon + 1) : null;
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return Authenticator.tokenOf(rc.request().headers(), rc.request().getHeader("X-Api-Key"));
  }
}
