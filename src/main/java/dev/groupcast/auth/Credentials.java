package dev.groupcast.auth;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The one place that reads a credential out of what a client sent: {@code Authorization: Bearer T},
 * the password of {@code Authorization: Basic}, {@code ?token=T}, {@code X-Api-Key}, or the
 * {@code token} / {@code Authorization} header of a bridge message. Reading only; checking is the
 * {@link Authenticator}'s.
 */
public final class Credentials {

  static final String API_KEY_HEADER = "X-Api-Key";
  /** The bridge message header a bridge client may carry its token in. */
  public static final String BRIDGE_TOKEN = "token";

  private Credentials() {
  }

  /** {@code Authorization: Bearer T}: T (blank for a bare "Bearer ", which fails as no token), or null. */
  public static String bearer(String authorization) {
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return authorization.substring(7).trim();
    }
    return null;
  }

  /** The password of {@code Authorization: Basic} (any user name), or null. */
  public static String basicPassword(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    try {
      String pair = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
      int colon = pair.indexOf(':');
      return colon >= 0 && colon < pair.length() - 1 ? pair.substring(colon + 1) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** A client's token at connect: {@code Authorization: Bearer T}, else {@code ?token=T}, else null. */
  public static String atConnect(MultiMap headers, String queryToken) {
    String bearer = bearer(headers.get(HttpHeaders.AUTHORIZATION));
    return bearer != null ? bearer : queryToken;
  }

  /** The admin credential of an API request: HTTP Basic's password, a Bearer token or {@code X-Api-Key}. */
  public static String admin(MultiMap headers) {
    String authorization = headers.get(HttpHeaders.AUTHORIZATION);
    String basic = basicPassword(authorization);
    if (basic != null) {
      return basic;
    }
    String bearer = bearer(authorization);
    return bearer != null ? bearer : headers.get(API_KEY_HEADER);
  }

  /** The token a bridge message carries in its headers ({@code token}, or {@code Authorization: Bearer}). */
  public static String ofBridgeMessage(JsonObject headers) {
    if (headers.getValue(BRIDGE_TOKEN) instanceof String t) {
      return t;
    }
    return headers.getValue("Authorization") instanceof String a ? bearer(a) : null;
  }
}
