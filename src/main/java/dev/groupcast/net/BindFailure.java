package dev.groupcast.net;

import io.vertx.core.Future;

/**
 * A listener that could not bind its port, named by the configuration key that sets it. The message
 * is the one line the process prints before it exits with code 1; no stack trace, it is an answer.
 */
public final class BindFailure extends RuntimeException {

  public BindFailure(String key, String host, int port, Throwable cause) {
    super(key + " " + port + " on " + host + " is not available (" + reason(cause) + ")", null, false, false);
  }

  /** {@code listening}, with a failure turned into a {@link BindFailure} naming {@code key}. */
  public static <T> Future<T> naming(String key, String host, int port, Future<T> listening) {
    return listening.recover(e -> Future.failedFuture(e instanceof BindFailure ? e : new BindFailure(key, host, port, e)));
  }

  /** The operating system's words ("Address already in use"), without the library's wrapping. */
  static String reason(Throwable cause) {
    String message = cause == null ? null : cause.getMessage();
    if (message == null || message.isBlank()) {
      return cause == null ? "unknown reason" : cause.getClass().getSimpleName();
    }
    int colon = message.lastIndexOf(": ");
    String text = colon >= 0 && message.startsWith("bind(") ? message.substring(colon + 2) : message;
    int nl = text.indexOf('\n');
    return nl < 0 ? text : text.substring(0, nl);
  }
}
