package dev.groupcast.ops;

import dev.groupcast.auth.Authenticator;
import dev.groupcast.auth.Credentials;
import dev.groupcast.error.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * With auth on, the API and the dashboard take the admin credential: the API key or a JWT with
 * {@code "admin": true}, as a Bearer token, in {@code X-Api-Key}, or as the password of HTTP Basic
 * (any user name), which lets a browser open {@code /admin} with its own login prompt.
 */
public final class AdminCheck implements Handler<RoutingContext> {

  static final String REALM = "Basic realm=\"groupcast admin\", charset=\"UTF-8\"";

  private final Authenticator auth;

  public AdminCheck(Authenticator auth) {
    this.auth = auth;
  }

  @Override
  public void handle(RoutingContext rc) {
    String token = Credentials.admin(rc.request().headers());
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
}
