package dev.groupcast.ops;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.error.ProtocolException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every HTTP error is a status with a JSON body {@code {"code","message"}} using the protocol's codes. */
public final class HttpErrors {

  private static final Logger log = LoggerFactory.getLogger(HttpErrors.class);

  private HttpErrors() {
  }

  public static void send(HttpServerResponse response, int status, ErrorCode code, String message) {
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      response.reset();
      return;
    }
    Context context = Vertx.currentContext();
    if (context != null) {
      NodeMetrics.of(context.owner()).error(code, message);
    }
    response.setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("code", code.code()).put("message", message).encode());
  }

  public static void send(RoutingContext rc, ProtocolException e) {
    send(rc.response(), e.code().httpStatus(), e.code(), e.getMessage());
  }

  /** Router failure handler: maps what failed to a status and a code. */
  public static void onFailure(RoutingContext rc) {
    Throwable failure = rc.failure();
    if (failure instanceof ProtocolException pe) {
      send(rc, pe);
      return;
    }
    int status = rc.statusCode() > 0 ? rc.statusCode() : 500;
    switch (status) {
      case 413 -> send(rc.response(), 413, ErrorCode.TOO_LARGE, "request body larger than limits.maxMessageBytes");
      case 404 -> send(rc.response(), 404, ErrorCode.NOT_FOUND, "no such resource: " + rc.request().path());
      case 405 -> send(rc.response(), 405, ErrorCode.BAD_REQUEST, "method " + rc.request().method() + " not allowed here");
      case 415 -> send(rc.response(), 415, ErrorCode.BAD_REQUEST, "unsupported media type");
      default -> {
        if (status >= 500) {
          log.error("{} {} failed", rc.request().method(), rc.request().path(), failure);
          send(rc.response(), 500, ErrorCode.INTERNAL, "internal error");
        } else {
          send(rc.response(), status, ErrorCode.BAD_REQUEST, "bad request");
        }
      }
    }
  }
}
