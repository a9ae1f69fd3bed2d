package dev.groupcast.gateway;

import dev.groupcast.auth.Authenticator;
import dev.groupcast.ops.ClusterView;
import io.vertx.ext.web.Router;

/**
 * {@code /admin}: the live dashboard (static page and script from the class path, no CDN) and
 * {@code /admin/api/nodes}, the same data as {@code /api/nodes} under the dashboard's own path, so a
 * browser that logged in to {@code /admin} with HTTP Basic sends the credential with its polls.
 */
final class AdminRoutes {

  private AdminRoutes() {
  }

  static void mount(Router router, ClusterView cluster, Authenticator auth) {
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
    router.get("/admin/api/nodes").handler(rc -> ApiRoutes.nodes(cluster, rc));
  }
}
