package dev.groupcast.gateway;

import dev.groupcast.auth.Authenticator;
import dev.groupcast.ops.AdminCheck;
import dev.groupcast.ops.ClusterView;
import dev.groupcast.ops.HttpErrors;
import dev.groupcast.ops.OpsRoutes;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.group.GroupHub;
import dev.groupcast.group.Frames;
import dev.groupcast.group.log.LogMessage;
import dev.groupcast.group.log.Slice;
import dev.groupcast.group.GroupNames;
import dev.groupcast.error.ProtocolException;
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
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  private final GroupHub hub;
  private final ClusterView cluster;

  private ApiRoutes(GroupHub hub, ClusterView cluster) {
    this.hub = hub;
    this.cluster = cluster;
  }

  static void mount(Router router, GroupHub hub, ClusterView cluster, int maxBodyBytes, Authenticator auth,
                    ApiBudgets budgets) {
    ApiRoutes api = new ApiRoutes(hub, cluster);
    router.route("/api/*").handler(budgets);
    if (auth.required()) {
      router.route("/api/*").handler(new AdminCheck(auth));
    }
    router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
    router.get("/api/nodes").handler(api::nodes);
    router.post("/api/groups/:group/messages").handler(api::publish);
    router.get("/api/groups/:group/history").handler(api::history);
    router.get("/api/groups/:group/members").handler(api::members);
    router.route("/api/*").handler(rc -> rc.fail(404));
    router.route("/api/*").failureHandler(HttpErrors::onFailure);
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
    String key = idempotencyKey(rc);
    hub.publish(group, API_FROM, body, key).onComplete(ar -> {
      if (ar.succeeded()) {
        JsonObject answer = new JsonObject().put("seq", ar.result().seq());
        json(rc, 202, ar.result().duplicate() ? answer.put("duplicate", true) : answer);
      } else {
        rc.fail(ar.cause());
      }
    });
  }

  private void history(RoutingContext rc) {
    String group = GroupNames.require(rc.pathParam("group"));
    long since = since(rc.queryParam("since"));
    String epoch = epoch(rc.queryParam("epoch"));
    hub.read(group, since, epoch).onComplete(ar -> {
      if (ar.failed()) {
        rc.fail(ar.cause());
        return;
      }
      Slice slice = ar.result();
      JsonArray messages = new JsonArray();
      for (LogMessage m : slice.messages()) {
        messages.add(new JsonObject().put("group", group).put("seq", m.seq()).put("from", m.from())
            .put("body", Json.decodeValue(m.body())).put("ts", m.ts()));
      }
      json(rc, 200, new JsonObject()
          .put("group", group)
          .put("epoch", slice.epoch())
          .put("seq", slice.lastSeq())
          .put("recovered", slice.recovered())
          .put("messages", messages));
    });
  }

  private void nodes(RoutingContext rc) {
    OpsRoutes.nodes(cluster, rc);
  }

  /** Every member of the group, cluster-wide: session, user, node, joinedAt. */
  private void members(RoutingContext rc) {
    String group = GroupNames.require(rc.pathParam("group"));
    hub.presence().members(group).onComplete(ar -> {
      if (ar.failed()) {
        rc.fail(new ProtocolException(ErrorCode.INTERNAL, "presence unavailable"));
        return;
      }
      json(rc, 200, new JsonObject().put("group", group).put("members", ar.result()));
    });
  }

  /** {@code Idempotency-Key}: 1 to 128 characters; a repeat within history.ttl is stored once. */
  private static String idempotencyKey(RoutingContext rc) {
    List<String> values = rc.request().headers().getAll(IDEMPOTENCY_KEY);
    if (values.isEmpty()) {
      return null;
    }
    String key = values.get(0);
    if (values.size() > 1 || key.isEmpty() || key.length() > Frames.MAX_KEY_LENGTH) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST,
          IDEMPOTENCY_KEY + " must be one value of 1 to " + Frames.MAX_KEY_LENGTH + " characters");
    }
    return key;
  }

  private static String epoch(List<String> values) {
    if (values.isEmpty()) {
      return null;
    }
    String v = values.get(0);
    if (values.size() > 1 || v.isEmpty() || v.length() > 64) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "epoch must be the one the group's stream has (joined, reset, history)");
    }
    return v;
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
