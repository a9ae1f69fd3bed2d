package dev.groupcast.proxy;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises SockJS session requests, {@code /{prefix}/{server}/{session}/{transport}}: the requests
 * of one session must reach the node that holds it.
 */
final class SockJsPaths {

  private static final Pattern SESSION = Pattern.compile(
      "^(/.+)/[^/.]+/([^/.]+)/(websocket|xhr|xhr_send|xhr_streaming|eventsource|htmlfile|jsonp|jsonp_send)$");

  private SockJsPaths() {
  }

  /** {@code prefix/session} for a SockJS session request, else null. */
  static String sessionKey(String path) {
    if (path == null) {
      return null;
    }
    Matcher m = SESSION.matcher(path);
    return m.matches() ? m.group(1) + "/" + m.group(2) : null;
  }
}
