package dev.groupcast.gateway;

import dev.groupcast.auth.Authenticator;
import dev.groupcast.cluster.ClusterNodes;
import dev.groupcast.cluster.TlsOptions;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.ops.ClusterView;
import dev.groupcast.ops.NodeMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

import java.util.Locale;

/**
 * The operations endpoints of a node without the gateway role (a proxy-only node), on
 * {@code http.port}: {@code /health/live}, {@code /health/ready}, {@code /metrics} and the
 * {@code /admin} dashboard, like nginx's status server next to its proxy port. A gateway node serves them from {@link GatewayVerticle}.
 */
public final class OpsServer extends VerticleBase {

  private final GroupcastConfig config;
  private final NodeState state;
  private final ClusterNodes nodes;

  public OpsServer(GroupcastConfig config, NodeState state, ClusterNodes nodes) {
    this.config = config;
    this.state = state;
    this.nodes = nodes;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    mount(router, state, NodeMetrics.of(vertx));
    AdminRoutes.mount(router, new ClusterView(vertx, nodes), new Authenticator(vertx, config.auth()));
    // a prefix route serves paths below its prefix: /admin/x is webroot/admin/x
    router.route("/admin/*").handler(StaticHandler.create(GatewayVerticle.WEB_ROOT + "/admin")
        .setDefaultContentEncoding("UTF-8"));
    // the dashboard's icon, and the one a browser asks for by itself: no 404 in its console
    router.getWithRegex("/favicon\\.(svg|ico)").handler(StaticHandler.create(GatewayVerticle.WEB_ROOT));
    router.errorHandler(404, HttpErrors::onFailure);
    router.errorHandler(405, HttpErrors::onFailure);
    HttpServerOptions options = HeaderTimeout.prepare(new HttpServerOptions());
    if (config.tls().enabled()) {
      TlsOptions.server(options, config.tls());
    }
    return new HeaderTimeout(vertx, config.http().headerTimeout())
        .install(vertx.createHttpServer(options), router)
        .listen(config.http().port(), config.http().host());
  }

  /** The health probes and the Prometheus scrape, the same on every node. */
  static void mount(Router router, NodeState state, NodeMetrics metrics) {
    router.get("/health/live").handler(rc -> json(rc.response(), 200, new JsonObject().put("status", "up")));
    router.get("/health/ready").handler(rc -> json(rc.response(), state.ready() ? 200 : 503, new JsonObject()
        .put("status", state.phase().name().toLowerCase(Locale.ROOT))
        .put("node", state.nodeId())));
    router.get("/metrics").handler(rc -> rc.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
        .end(metrics.scrape()));
  }

  private static void json(io.vertx.core.http.HttpServerResponse response, int status, JsonObject body) {
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }
}
