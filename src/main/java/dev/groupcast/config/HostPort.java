package dev.groupcast.config;

/** A {@code host:port} pair as written in lists such as {@code cluster.members}. */
public record HostPort(String host, int port) {

  /** @throws IllegalArgumentException with a short reason when the text is not {@code host:port} */
  public static HostPort parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("not host:port");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("port is not a number");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range 1-65535");
    }
    return new HostPort(host, port);
  }

  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
