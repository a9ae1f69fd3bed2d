package dev.groupcast.config;

/** {@code proxy.balance}: how the proxy picks a backend for a new client. */
public enum Balance {
  ROUND_ROBIN("round-robin"),
  LEAST_CONN("least-conn"),
  /** Consistent hashing on the client's address (nginx {@code ip_hash}). */
  IP_HASH("ip-hash"),
  /** Consistent hashing on {@code proxy.hashKey}. */
  HASH("hash");

  private final String key;

  Balance(String key) {
    this.key = key;
  }

  public String key() {
    return key;
  }

  static Balance fromKey(String key) {
    for (Balance b : values()) {
      if (b.key.equals(key)) {
        return b;
      }
    }
    throw new IllegalArgumentException("unknown policy (known: round-robin, least-conn, ip-hash, hash)");
  }
}
