package dev.groupcast.ops;

import dev.groupcast.auth.Authenticator;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.error.ProtocolException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Locale;

/**
 * What every node answers about itself, gateway or proxy-only: {@code /health/live},
 * {@code /health/ready}, {@code /metrics} (open, for probes and scrapers), and the {@code /admin}
 * dashboard with {@code /admin/api/nodes} (the admin credential when auth is on).
 */
public final class OpsRoutes {

  /** Class-path folder of the pages, {@code groupcast.js}, the dashboard and the vendored browser scripts. */
  public static final String WEB_ROOT = "webroot";

  private OpsRoutes() {
  }

  /** The health probes and the Prometheus scrape, the same on every node. */
  public static void mountHealth(Router router, NodeState state, NodeMetrics metrics) {
    router.get("/health/live").handler(rc -> json(rc.response(), 200, new JsonObject().put("status", "up")));
    router.get("/health/ready").handler(rc -> json(rc.response(), state.ready() ? 200 : 503, new JsonObject()
        .put("status", state.status())
        .put("node", state.nodeId())));
    router.get("/metrics").handler(rc -> rc.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
        .end(metrics.scrape()));
  }

  /**
   * {@code /admin}: the dashboard's data ({@code /admin/api/nodes}, the same as {@code /api/nodes}
   * under the dashboard's own path, so a browser that logged in to {@code /admin} with HTTP Basic
   * sends the credential with its polls); the page itself comes from the caller's static handler.
   */
  public static void mountAdmin(Router router, ClusterView cluster, Authenticator auth) {
    if (auth.required()) {
      router.route("/admin/*").handler(new AdminCheck(auth)); // "/admin" itself included
    }
    // Vert.x matches "/admin" for "/admin/" too: only the bare path is sent on to the page's folder
    router.get("/admin").handler(rc -> {
      if (rc.request().path().equals("/admin")) {
        rc.redirect("/admin/");
      } else {
        rc.next();
      }
    });
    router.get("/admin/api/nodes").handler(rc -> nodes(cluster, rc));
  }

  /**
   * Every node with its advertised HTTP address, roles, readiness and load; clients use it to find a
   * node to fall back to, the dashboard to draw the cluster.
   */
  public static void nodes(ClusterView cluster, RoutingContext rc) {
    cluster.nodes().onComplete(ar -> {
      if (ar.failed()) {
        rc.fail(new ProtocolException(ErrorCode.INTERNAL, "cluster membership unavailable"));
        return;
      }
      json(rc.response(), 200, new JsonObject().put("at", System.currentTimeMillis())
          .put("nodes", new JsonArray(ar.result())));
    });
  }

  public static void json(HttpServerResponse response, int status, JsonObject body) {
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }
}
