package dev.groupcast.net;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/** How a request asks to switch protocols, read the same way by the gateway and the proxy. */
public final class Upgrades {

  private Upgrades() {
  }

  /**
   * An upgrade to WebSocket: {@code Upgrade: websocket} and {@code Connection} holding the token
   * {@code upgrade}, case-insensitive, possibly in a list ({@code keep-alive, Upgrade}).
   */
  public static boolean isWebSocketUpgrade(MultiMap headers) {
    String upgrade = headers.get(HttpHeaders.UPGRADE);
    if (upgrade == null || !"websocket".equalsIgnoreCase(upgrade.trim())) {
      return false;
    }
    return connectionTokens(headers).contains("upgrade");
  }

  /** The tokens of every {@code Connection} header, lower case. */
  public static Set<String> connectionTokens(MultiMap headers) {
    Set<String> tokens = new HashSet<>();
    for (String value : headers.getAll(HttpHeaders.CONNECTION)) {
      for (String token : value.split(",")) {
        if (!token.isBlank()) {
          tokens.add(token.trim().toLowerCase(Locale.ROOT));
        }
      }
    }
    return tokens;
  }
}
