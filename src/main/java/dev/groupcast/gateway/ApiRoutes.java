package dev.groupcast.gateway;

import dev.groupcast.auth.Authenticator;
import dev.groupcast.cluster.ClusterNodes;
import dev.groupcast.group.ErrorCode;
import dev.groupcast.group.GroupHub;
import dev.groupcast.group.GroupMessage;
import dev.groupcast.group.GroupNames;
import dev.groupcast.group.ProtocolException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.List;

/**
 * {@code /api}: publish to a group and read its history over plain HTTP. Publishes go through the same
 * {@link GroupHub#publish} as WebSocket clients, with {@code from} = {@code "api"}.
 */
final class ApiRoutes {

  static final String API_FROM = "api";

  private final GroupHub hub;
  private final ClusterNodes nodes;

  private ApiRoutes(GroupHub hub, ClusterNodes nodes) {
    this.hub = hub;
    this.nodes = nodes;
  }

  static void mount(Router router, GroupHub hub, ClusterNodes nodes, int maxBodyBytes, Authenticator auth) {
    ApiRoutes api = new ApiRoutes(hub, nodes);
    if (auth.required()) {
      router.route("/api/*").handler(rc -> admin(rc, auth));
    }
    router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
    router.get("/api/nodes").handler(api::nodes);
    router.post("/api/groups/:group/messages").handler(api::publish);
    router.get("/api/groups/:group/history").handler(api::history);
    router.route("/api/*").handler(rc -> rc.fail(404));
    router.route("/api/*").failureHandler(HttpErrors::onFailure);
  }

  /** With auth on, the API takes the admin credential: the API key or a JWT with {@code "admin": true}. */
  private static void admin(RoutingContext rc, Authenticator auth) {
    String token = Authenticator.tokenOf(rc.request().headers(), rc.request().getHeader("X-Api-Key"));
    auth.authenticate(token).onComplete(ar -> {
      if (ar.failed()) {
        rc.fail(ar.cause());
      } else if (!ar.result().admin()) {
        rc.fail(new ProtocolException(ErrorCode.FORBIDDEN, "the API needs an admin credential"));
      } else {
        rc.next();
      }
    });
  }

  private void publish(RoutingContext rc) {
    String group = GroupNames.require(rc.pathParam("group"));
    Buffer raw = rc.body().buffer();
    if (raw == null || raw.length() == 0) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "the request body (the message body, as JSON) is required");
    }
    Object body;
    try {
      body = Json.decodeValue(raw);
    } catch (DecodeException e) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "the request body is not JSON");
    }
    hub.publish(group, API_FROM, body).onComplete(ar -> {
      if (ar.succeeded()) {
        json(rc, 202, new JsonObject().put("seq", ar.result()));
      } else {
        rc.fail(ar.cause());
      }
    });
  }

  private void history(RoutingContext rc) {
    String group = GroupNames.require(rc.pathParam("group"));
    long since = since(rc.queryParam("since"));
    hub.history().read(group, since).onComplete(ar -> {
      if (ar.failed()) {
        rc.fail(new ProtocolException(ErrorCode.INTERNAL, "history unavailable"));
        return;
      }
      JsonArray messages = new JsonArray();
      for (GroupMessage m : ar.result().messages()) {
        messages.add(m.toJson());
      }
      json(rc, 200, new JsonObject()
          .put("group", group)
          .put("seq", ar.result().latest())
          .put("recovered", ar.result().recovered())
          .put("messages", messages));
    });
  }

  /** The cluster's nodes with their advertised HTTP addresses; clients use it to find a node to fall back to. */
  private void nodes(RoutingContext rc) {
    nodes.list().onComplete(ar -> {
      if (ar.failed()) {
        rc.fail(new ProtocolException(ErrorCode.INTERNAL, "cluster membership unavailable"));
        return;
      }
      JsonArray list = new JsonArray();
      ar.result().forEach(n -> list.add(new JsonObject()
          .put("id", n.getString("node"))
          .put("http", n.getString("http"))
          .put("roles", n.getJsonArray("roles"))));
      json(rc, 200, new JsonObject().put("nodes", list));
    });
  }

  private static long since(List<String> values) {
    if (values.isEmpty()) {
      return 0;
    }
    String v = values.get(0);
    if (values.size() > 1 || !v.matches("\\d{1,18}")) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "since must be a whole number >= 0");
    }
    return Long.parseLong(v);
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }
}
