package dev.groupcast.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as written in the configuration: {@code 250ms}, {@code 3s}, {@code 5m}, {@code 1h}. */
public final class Durations {

  private static final Pattern FORMAT = Pattern.compile("(\\d{1,12})(ms|s|m|h)");

  private Durations() {
  }

  /** @throws IllegalArgumentException when the text is not a number followed by ms, s, m or h */
  public static Duration parse(String text) {
    Matcher m = FORMAT.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration (write e.g. 250ms, 3s, 5m, 1h)");
    }
    long amount = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      default -> Duration.ofHours(amount);
    };
  }

  /** The shortest text that {@link #parse} reads back as the same duration. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
