package dev.groupcast.proxy;

import dev.groupcast.ops.NodeMetrics;
import dev.groupcast.ops.NodeState;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A request that is not an upgrade, as a streamed HTTP exchange: the body goes to the backend as it
 * comes, the answer back the same way. Also the backend's answer to an upgrade that is not a 101.
 */
final class HttpForwarding {

  private static final Logger log = LoggerFactory.getLogger(HttpForwarding.class);

  private final NodeMetrics metrics;
  /** Passive health: a backend that dropped an exchange counts a failure, as one that refused does. */
  private final Consumer<Backend> onDropped;

  HttpForwarding(NodeMetrics metrics, Consumer<Backend> onDropped) {
    this.metrics = metrics;
    this.onDropped = onDropped;
  }

  void forward(Exchange ex, HttpClientRequest toBackend) {
    HttpServerRequest request = ex.request;
    if (replayable(request)) {
      // no body to stream: the head alone, which another backend can be sent again (answered);
      // the paused request is resumed so that its end is read and the connection can go on
      request.resume();
      toBackend.send().onComplete(ar -> answered(ex, ar, null));
      return;
    }
    if (!request.headers().contains(HttpHeaders.CONTENT_LENGTH) && hasChunkedBody(request)) {
      toBackend.setChunked(true);
    }
    toBackend.send(request).onComplete(ar -> answered(ex, ar, null));
  }

  /**
   * The backend's answer: a failure becomes 502 or 504, a draining node's refusal is retried on
   * another node, a 101 goes to {@code onSwitch} (tunnels), anything else is relayed as it is.
   */
  void answered(Exchange ex, AsyncResult<HttpClientResponse> ar, Handler<HttpClientResponse> onSwitch) {
    if (ar.failed()) {
      log.debug("backend exchange for {} failed: {}", ex.request.uri(), ar.cause().toString());
      if (!(ar.cause() instanceof TimeoutException) && replayable(ex.request)) {
        // nginx's proxy_next_upstream error: the connection went before any answer (most often a
        // pooled connection to a node that has just died) and the request has no body, so nothing
        // was served and the next backend can take it; a timeout is not retried, it would double the wait
        onDropped.accept(ex.backend());
        ex.retryElsewhere();
        return;
      }
      ex.lease().release();
      ProxyErrors.fromBackend(ex.request, ar.cause());
      return;
    }
    HttpClientResponse answer = ar.result();
    metrics.proxied(ex.backend().key(), answer.statusCode());
    if (onSwitch != null && answer.statusCode() != 101) {
      // a refused upgrade: the connection was set up for a tunnel, never to be pooled again
      HttpConnection connection = answer.request().connection();
      answer.end().onComplete(v -> connection.close());
    }
    if (draining(ex.request, answer)) {
      ex.backend().healthy = false; // no new clients there until its next check
      answer.body().onComplete(v -> ex.retryElsewhere());
    } else if (onSwitch != null && answer.statusCode() == 101) {
      onSwitch.handle(answer);
    } else {
      relay(ex, answer);
    }
  }

  /**
   * A draining node refuses new clients with a marked 503. For a request without a body nothing has
   * been served, so another node can take it.
   */
  private static boolean draining(HttpServerRequest request, HttpClientResponse answer) {
    return answer.statusCode() == 503 && answer.getHeader(NodeState.DRAINING_HEADER) != null && replayable(request);
  }

  /**
   * A GET or HEAD (an upgrade too) without a body: sending it again elsewhere repeats nothing, and
   * there is no streamed body that the first attempt has already consumed.
   */
  private static boolean replayable(HttpServerRequest request) {
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    return (request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD)
        && (length == null || length.equals("0")) && !hasChunkedBody(request);
  }

  /** Sends the backend's answer (any status but 101) to the client, body streamed. */
  private static void relay(Exchange ex, HttpClientResponse answer) {
    HttpServerResponse response = ex.request.response();
    response.setStatusCode(answer.statusCode()).setStatusMessage(answer.statusMessage());
    HeaderRules.fromBackend(answer.headers(), response.headers());
    if (!response.headers().contains(HttpHeaders.CONTENT_LENGTH) && mayHaveBody(ex.request, answer.statusCode())) {
      response.setChunked(true);
    }
    answer.pipeTo(response).onComplete(done -> {
      ex.lease().release();
      if (done.failed() && !response.ended()) {
        response.reset();
      }
    });
  }

  private static boolean hasChunkedBody(HttpServerRequest request) {
    String te = request.getHeader(HttpHeaders.TRANSFER_ENCODING);
    return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
  }

  private static boolean mayHaveBody(HttpServerRequest request, int status) {
    return request.method() != HttpMethod.HEAD && status != 204 && status != 304 && status >= 200;
  }
}
