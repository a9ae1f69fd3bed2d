package dev.groupcast.proxy;

import dev.groupcast.net.Upgrades;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the proxy forwards of the headers, the way nginx's WebSocket proxy setup does: hop-by-hop
 * headers stay on their hop, {@code Upgrade}/{@code Connection} are set explicitly for an upgrade, the
 * client's address is added to {@code X-Forwarded-For} and the {@code X-Forwarded-*} family is set.
 */
public final class HeaderRules {

  /** RFC 9110 section 7.6.1, plus the non-standard {@code Proxy-Connection}. */
  static final Set<String> HOP_BY_HOP = Set.of(
      "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

  private HeaderRules() {
  }

  /** The headers of the proxy's own request to the backend. */
  static MultiMap toBackend(HttpServerRequest request, boolean upgrade) {
    MultiMap in = request.headers();
    MultiMap out = HttpHeaders.headers();
    copyEndToEnd(in, out);
    if (upgrade) {
      out.set(HttpHeaders.UPGRADE, "websocket");
      out.set(HttpHeaders.CONNECTION, "Upgrade");
      // the only length RequestFraming lets through on an upgrade is 0: the proxy's own request has
      // no body, so it states no length, and nothing behind has a body to wait for
      out.remove(HttpHeaders.CONTENT_LENGTH);
    }
    String clientIp = request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
    List<String> chain = in.getAll("X-Forwarded-For");
    out.set("X-Forwarded-For", chain.isEmpty() ? clientIp : String.join(", ", chain) + ", " + clientIp);
    out.set("X-Real-IP", clientIp);
    out.set("X-Forwarded-Proto", request.isSSL() ? "https" : "http");
    String host = in.get(HttpHeaders.HOST);
    if (host != null) {
      out.set("X-Forwarded-Host", host);
    }
    if (request.localAddress() != null) {
      out.set("X-Forwarded-Port", String.valueOf(request.localAddress().port()));
    }
    return out;
  }

  /** A non-101 answer's headers for the client: the backend's, less its hop-by-hop ones. */
  static void fromBackend(MultiMap backend, MultiMap out) {
    copyEndToEnd(backend, out);
  }

  private static void copyEndToEnd(MultiMap in, MultiMap out) {
    Set<String> named = Upgrades.connectionTokens(in);
    for (Map.Entry<String, String> header : in) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (!HOP_BY_HOP.contains(name) && !named.contains(name)) {
        out.add(header.getKey(), header.getValue());
      }
    }
  }
}
