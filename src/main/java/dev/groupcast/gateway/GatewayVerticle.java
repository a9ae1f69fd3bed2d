package dev.groupcast.gateway;

import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.group.GroupHub;
import dev.groupcast.group.LocalHub;
import dev.groupcast.group.Session;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The client-facing HTTP server, one instance per event loop: {@code /ws}, {@code /api},
 * {@code /health}. Each instance owns the {@link LocalHub} of the sessions accepted on its loop.
 */
public final class GatewayVerticle extends VerticleBase {

  private final GroupcastConfig config;
  private final GroupHub hub;
  private final NodeState state;

  public GatewayVerticle(GroupcastConfig config, GroupHub hub, NodeState state) {
    this.config = config;
    this.hub = hub;
    this.state = state;
  }

  @Override
  public Future<?> start() {
    LocalHub local = new LocalHub(context, hub);
    int maxBytes = config.limits().maxMessageBytes();
    Router router = Router.router(vertx);
    router.get("/health/live").handler(rc -> json(rc, 200, new JsonObject().put("status", "up")));
    router.get("/health/ready").handler(this::ready);
    router.get("/ws").handler(new WebSocketTransport(local,
        new Session.Settings(config.node().id(), maxBytes)));
    ApiRoutes.mount(router, hub, maxBytes);
    router.errorHandler(404, HttpErrors::onFailure);
    router.errorHandler(405, HttpErrors::onFailure);
    router.errorHandler(500, HttpErrors::onFailure);

    HttpServerOptions options = new HttpServerOptions()
        // frames up to twice the limit are answered with too_large; larger ones close with 1009
        .setMaxWebSocketFrameSize(2 * maxBytes)
        .setMaxWebSocketMessageSize(2 * maxBytes)
        // a deflate context per connection costs far more memory than group traffic saves
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false);
    return vertx.createHttpServer(options)
        .requestHandler(router)
        .listen(config.http().port(), config.http().host());
  }

  private void ready(RoutingContext rc) {
    JsonObject body = new JsonObject()
        .put("status", state.phase().name().toLowerCase())
        .put("node", state.nodeId());
    json(rc, state.ready() ? 200 : 503, body);
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }
}
