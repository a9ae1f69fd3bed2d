package dev.groupcast.config;

import java.util.Locale;

/** What a process does; {@code roles} in the configuration lists one or more. */
public enum Role {
  /** Accepts clients on {@code /ws} and the HTTP API, and carries group traffic. */
  GATEWAY,
  /** Forwards WebSocket upgrades and HTTP requests to gateway nodes. */
  PROXY;

  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  static Role fromKey(String key) {
    for (Role r : values()) {
      if (r.key().equals(key)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown role (known: gateway, proxy)");
  }
}
