package dev.groupcast.ops;

import dev.groupcast.auth.Authenticator;
import dev.groupcast.cluster.TlsOptions;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.net.HeaderTimeout;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The operations endpoints of a node without the gateway role (a proxy-only node), on
 * {@code http.port}: {@code /health/live}, {@code /health/ready}, {@code /metrics} and the
 * {@code /admin} dashboard, like nginx's status server next to its proxy port. A gateway serves the
 * same routes ({@link OpsRoutes}) among its own.
 */
public final class OpsServer extends VerticleBase {

  private final GroupcastConfig config;
  private final NodeState state;
  private final ClusterView cluster;

  public OpsServer(GroupcastConfig config, NodeState state, ClusterView cluster) {
    this.config = config;
    this.state = state;
    this.cluster = cluster;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    OpsRoutes.mountHealth(router, state, NodeMetrics.of(vertx));
    OpsRoutes.mountAdmin(router, cluster, new Authenticator(vertx, config.auth()));
    // a prefix route serves paths below its prefix: /admin/x is webroot/admin/x
    router.route("/admin/*").handler(StaticHandler.create(OpsRoutes.WEB_ROOT + "/admin")
        .setDefaultContentEncoding("UTF-8"));
    // the dashboard's icon, and the one a browser asks for by itself: no 404 in its console
    router.getWithRegex("/favicon\\.(svg|ico)").handler(StaticHandler.create(OpsRoutes.WEB_ROOT));
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
}
