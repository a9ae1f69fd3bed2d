package dev.groupcast.config;

/**
 * A configuration value that cannot be used. The message is one line naming the key and the value,
 * printed as is before the process exits with code 2.
 */
public final class ConfigException extends RuntimeException {

  public ConfigException(String message) {
    super(message, null, false, false);
  }

  static ConfigException badValue(String key, Object value, String why) {
    return new ConfigException(key + " = " + quote(value) + ": " + why);
  }

  private static String quote(Object value) {
    return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
  }
}
