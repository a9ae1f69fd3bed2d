package dev.groupcast.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;

import java.util.List;
import java.util.Locale;

/**
 * The request framings a proxy must not pass on (RFC 9112 section 6.1): a request whose body length
 * two headers state differently (Content-Length with Transfer-Encoding), or cannot be known (a
 * Transfer-Encoding whose last coding is not chunked), is how a request is smuggled past a proxy to a
 * backend that reads it the other way. An upgrade request carries no body: one that claims one would
 * leave the pooled backend connection waiting for bytes that never come, swallowing the next client's
 * handshake.
 */
final class RequestFraming {

  private RequestFraming() {
  }

  /** Why the request cannot be forwarded, or null when its framing is sound. */
  static String refusal(MultiMap headers, boolean upgrade) {
    List<String> lengths = headers.getAll(HttpHeaders.CONTENT_LENGTH);
    List<String> codings = headers.getAll(HttpHeaders.TRANSFER_ENCODING);
    if (!lengths.isEmpty() && !codings.isEmpty()) {
      return "Content-Length together with Transfer-Encoding";
    }
    if (!codings.isEmpty()) {
      String all = String.join(",", codings).toLowerCase(Locale.ROOT);
      String[] parts = all.split(",");
      if (!parts[parts.length - 1].trim().equals("chunked")) {
        return "a Transfer-Encoding whose last coding is not chunked";
      }
      if (upgrade) {
        return "an upgrade request with a body (Transfer-Encoding)";
      }
    }
    if (lengths.size() > 1 && lengths.stream().map(String::trim).distinct().count() > 1) {
      return "Content-Length given twice, differently";
    }
    if (upgrade && !lengths.isEmpty() && !lengths.get(0).trim().equals("0")) {
      return "an upgrade request with a body (Content-Length " + lengths.get(0).trim() + ")";
    }
    return null;
  }
}
