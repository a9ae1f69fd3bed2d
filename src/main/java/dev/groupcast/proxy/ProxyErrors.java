package dev.groupcast.proxy;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeoutException;

/** The proxy's own answers when no backend answers: a status and {@code {"code","message"}}. */
final class ProxyErrors {

  private ProxyErrors() {
  }

  /** A failed exchange with a backend: 504 when it did not answer in time, else 502. */
  static void fromBackend(HttpServerRequest request, Throwable cause) {
    if (cause instanceof TimeoutException) {
      fail(request, 504, "gateway_timeout", "the backend did not answer in time");
    } else {
      fail(request, 502, "bad_gateway", "the backend closed the connection");
    }
  }

  static void fail(HttpServerRequest request, int status, String code, String message) {
    HttpServerResponse response = request.response();
    if (response.headWritten() || response.closed()) {
      response.reset();
      return;
    }
    response.setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("code", code).put("message", message).encode());
  }
}
