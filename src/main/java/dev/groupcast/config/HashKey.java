package dev.groupcast.config;

import java.util.Locale;

/** {@code proxy.hashKey}: where the key of the {@code hash} policy is read, e.g. {@code header:X-User}. */
public record HashKey(Source source, String name) {

  public enum Source { HEADER, COOKIE, QUERY }

  /** @throws IllegalArgumentException with a short reason */
  public static HashKey parse(String text) {
    int colon = text.indexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("must be header:NAME, cookie:NAME or query:NAME");
    }
    String source = text.substring(0, colon).toUpperCase(Locale.ROOT);
    String name = text.substring(colon + 1);
    try {
      return new HashKey(Source.valueOf(source), name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("must be header:NAME, cookie:NAME or query:NAME");
    }
  }

  @Override
  public String toString() {
    return source.name().toLowerCase(Locale.ROOT) + ":" + name;
  }
}
