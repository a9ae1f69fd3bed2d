package dev.groupcast.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Builds the configuration in three layers: the defaults packed in the jar ({@code groupcast.json}),
 * an optional file given with {@code -c}, then one {@code GROUPCAST_*} environment variable per key.
 * The defaults name every key, so a key unknown to them is a typo and stops the start.
 */
public final class ConfigLoader {

  public static final String ENV_PREFIX = "GROUPCAST_";
  static final String DEFAULTS_RESOURCE = "groupcast.json";

  private ConfigLoader() {
  }

  public static GroupcastConfig load(Path file, Map<String, String> env) {
    JsonObject merged = defaults();
    // the keys the file or the environment set: a few defaults depend on the roles (a proxy-only
    // node's ports) and apply only where the user said nothing
    Set<String> given = new HashSet<>();
    if (file != null) {
      overlay(merged, readFile(file), "", given);
    }
    applyEnv(merged, env, "", given);
    return GroupcastConfig.from(merged, given);
  }

  public static JsonObject defaults() {
    try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS_RESOURCE + " is missing from the class path");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code proxy.readTimeout} -> {@code GROUPCAST_PROXY_READ_TIMEOUT}. */
  public static String envName(String keyPath) {
    StringBuilder sb = new StringBuilder(ENV_PREFIX);
    for (int i = 0; i < keyPath.length(); i++) {
      char c = keyPath.charAt(i);
      if (c == '.') {
        sb.append('_');
      } else if (Character.isUpperCase(c)) {
        sb.append('_').append(c);
      } else {
        sb.append(Character.toUpperCase(c));
      }
    }
    return sb.toString();
  }

  private static JsonObject readFile(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + ": not found");
    } catch (IOException e) {
      throw new ConfigException("config file " + file + ": cannot be read (" + e.getMessage() + ")");
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new ConfigException("config file " + file + ": not a JSON object (" + firstLine(e.getMessage()) + ")");
    }
  }

  private static void overlay(JsonObject base, JsonObject extra, String prefix, Set<String> given) {
    for (Map.Entry<String, Object> e : extra) {
      String path = prefix + e.getKey();
      if (!base.containsKey(e.getKey())) {
        throw new ConfigException(path + ": unknown key");
      }
      Object current = base.getValue(e.getKey());
      if (current instanceof JsonObject section) {
        if (!(e.getValue() instanceof JsonObject sub)) {
          throw ConfigException.badValue(path, e.getValue(), "must be an object with the keys of section " + path);
        }
        overlay(section, sub, path + ".", given);
      } else {
        base.put(e.getKey(), e.getValue());
        given.add(path);
      }
    }
  }

  private static void applyEnv(JsonObject base, Map<String, String> env, String prefix, Set<String> given) {
    for (String key : base.fieldNames()) {
      String path = prefix + key;
      if (base.getValue(key) instanceof JsonObject section) {
        applyEnv(section, env, path + ".", given);
      } else {
        String value = env.get(envName(path));
        if (value != null) {
          base.put(key, value);
          given.add(path);
        }
      }
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
