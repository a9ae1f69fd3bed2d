package dev.groupcast.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Typed reads of a merged configuration tree. A value may come from JSON (number, string, array) or
 * from an environment variable (always a string), so every reader accepts the string form too.
 */
final class ConfigReader {

  private final JsonObject root;
  private final Set<String> given;

  /** {@code given}: the key paths the user set (file or environment); the others hold defaults. */
  ConfigReader(JsonObject root, Set<String> given) {
    this.root = root;
    this.given = given;
  }

  /** Whether the user set {@code path}, rather than leaving it at the packed default. */
  boolean given(String path) {
    return given.contains(path);
  }

  Object raw(String path) {
    JsonObject node = root;
    String[] parts = path.split("\\.");
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.getJsonObject(parts[i]);
    }
    return node.getValue(parts[parts.length - 1]);
  }

  String string(String path) {
    Object v = raw(path);
    if (v instanceof String s) {
      return s.trim();
    }
    throw ConfigException.badValue(path, v, "must be a string");
  }

  String nonEmpty(String path) {
    String s = string(path);
    if (s.isEmpty()) {
      throw ConfigException.badValue(path, s, "must not be empty");
    }
    return s;
  }

  int integer(String path, int min, int max) {
    Object v = raw(path);
    long n;
    if (v instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue())) {
      n = num.longValue();
    } else if (v instanceof String s && s.trim().matches("-?\\d{1,18}")) {
      n = Long.parseLong(s.trim());
    } else {
      throw ConfigException.badValue(path, v, "must be a whole number");
    }
    if (n < min || n > max) {
      throw ConfigException.badValue(path, v, "out of range " + min + "-" + max);
    }
    return (int) n;
  }

  boolean bool(String path) {
    Object v = raw(path);
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s && (s.trim().equals("true") || s.trim().equals("false"))) {
      return Boolean.parseBoolean(s.trim());
    }
    throw ConfigException.badValue(path, v, "must be true or false");
  }

  int port(String path) {
    return integer(path, 1, 65535);
  }

  Duration duration(String path, Duration min) {
    Object v = raw(path);
    if (!(v instanceof String s)) {
      throw ConfigException.badValue(path, v, "must be a duration string such as 250ms, 3s, 5m");
    }
    Duration d;
    try {
      d = Durations.parse(s);
    } catch (IllegalArgumentException e) {
      throw ConfigException.badValue(path, v, e.getMessage());
    }
    if (d.compareTo(min) < 0) {
      throw ConfigException.badValue(path, v, "must be at least " + Durations.format(min));
    }
    return d;
  }

  /** A comma list in a string, or a JSON array of strings; blanks dropped. */
  List<String> list(String path) {
    Object v = raw(path);
    List<String> out = new ArrayList<>();
    if (v instanceof String s) {
      for (String item : s.split(",")) {
        if (!item.isBlank()) {
          out.add(item.trim());
        }
      }
    } else if (v instanceof JsonArray arr) {
      for (Object item : arr) {
        if (!(item instanceof String s)) {
          throw ConfigException.badValue(path, v, "must be a comma list or an array of strings");
        }
        if (!s.isBlank()) {
          out.add(s.trim());
        }
      }
    } else {
      throw ConfigException.badValue(path, v, "must be a comma list or an array of strings");
    }
    return out;
  }
}
