package dev.groupcast.group;

import dev.groupcast.error.ProtocolException;
import dev.groupcast.error.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Protocol v1: decoding and validation of inbound frames, encoding of outbound ones. Every problem
 * with an inbound frame becomes a {@link ProtocolException} carrying the request's {@code id} when it
 * could be read.
 */
public final class Frames {

  /** A decoded, validated client request. */
  public sealed interface Request permits Join, Leave, Publish, Ping, Auth, PresenceQuery {
    /** The client's correlation id (a string or a number), or null. */
    Object id();
  }

  /** {@code presence}: the client wants join and leave events of the group's members. */
  public record Join(Object id, String group, Long since, boolean presence) implements Request {
  }

  /** {@code {"type":"presence","group":G}}: who is in the group, cluster-wide. */
  public record PresenceQuery(Object id, String group) implements Request {
  }

  public record Leave(Object id, String group) implements Request {
  }

  public record Publish(Object id, String group, Object body) implements Request {
  }

  public record Ping(Object id) implements Request {
  }

  /** {@code {"type":"auth","token":T}}: authenticates (or re-authenticates) the connection. */
  public record Auth(Object id, String token) implements Request {
  }

  private Frames() {
  }

  public static Request decode(String text) {
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (RuntimeException e) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "frame is not a JSON object");
    }
    Object id = id(json);
    try {
      Object type = json.getValue("type");
      if (!(type instanceof String t)) {
        throw new ProtocolException(ErrorCode.BAD_REQUEST, "type is required and must be a string");
      }
      return switch (t) {
        case "join" -> new Join(id, group(json), since(json), flag(json, "presence"));
        case "presence" -> new PresenceQuery(id, group(json));
        case "leave" -> new Leave(id, group(json));
        case "publish" -> {
          String group = group(json);
          if (!json.containsKey("body")) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "body is required");
          }
          yield new Publish(id, group, json.getValue("body"));
        }
        case "ping" -> new Ping(id);
        case "auth" -> {
          Object token = json.getValue("token");
          if (!(token instanceof String tokenText) || tokenText.isBlank()) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "token is required and must be a string");
          }
          yield new Auth(id, tokenText);
        }
        default -> throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "unknown type: " + abbreviate(t));
      };
    } catch (ProtocolException e) {
      throw e.withRequestId(id);
    }
  }

  private static Object id(JsonObject json) {
    Object id = json.getValue("id");
    if (id == null || id instanceof String || id instanceof Number) {
      return id;
    }
    throw new ProtocolException(ErrorCode.BAD_REQUEST, "id must be a string or a number");
  }

  private static String group(JsonObject json) {
    Object g = json.getValue("group");
    if (!(g instanceof String s)) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "group is required and must be a string");
    }
    return GroupNames.require(s);
  }

  private static boolean flag(JsonObject json, String name) {
    Object v = json.getValue(name);
    if (v == null || v instanceof Boolean) {
      return Boolean.TRUE.equals(v);
    }
    throw new ProtocolException(ErrorCode.BAD_REQUEST, name + " must be true or false");
  }

  private static Long since(JsonObject json) {
    Object v = json.getValue("since");
    if (v == null) {
      return null;
    }
    if ((v instanceof Integer || v instanceof Long) && ((Number) v).longValue() >= 0) {
      return ((Number) v).longValue();
    }
    if (v instanceof BigInteger || v instanceof BigDecimal || v instanceof Number) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "since must be a whole number from 0 to 2^63-1");
    }
    throw new ProtocolException(ErrorCode.BAD_REQUEST, "since must be a number");
  }

  private static String abbreviate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }

  // ---- outbound frames

  public static OutFrame welcome(String session, String node) {
    return frame(new JsonObject().put("type", "welcome").put("session", session).put("node", node));
  }

  public static OutFrame joined(Object id, String group, long seq, Boolean recovered) {
    return joined(id, group, seq, recovered, null);
  }

  /** {@code members}: with the join's {@code presence} option, who is in the group as the join is answered. */
  public static OutFrame joined(Object id, String group, long seq, Boolean recovered, JsonArray members) {
    JsonObject json = new JsonObject().put("type", "joined").put("group", group);
    putId(json, id);
    json.put("seq", seq);
    if (recovered != null) {
      json.put("recovered", recovered);
    }
    if (members != null) {
      json.put("members", members);
    }
    return frame(json);
  }

  /** The answer to a presence query. */
  public static OutFrame presence(Object id, String group, JsonArray members) {
    return frame(putId(new JsonObject().put("type", "presence").put("group", group), id).put("members", members));
  }

  /**
   * {@code {"type":"presence_join"|"presence_leave","group":G,"member":{...}}}, from an event
   * {@code {"event","group","member"}} of {@link Presence}.
   */
  static OutFrame presenceEvent(JsonObject event) {
    return frame(new JsonObject().put("type", "presence_" + event.getString("event"))
        .put("group", event.getString("group")).put("member", event.getJsonObject("member")));
  }

  public static OutFrame left(Object id, String group) {
    return frame(putId(new JsonObject().put("type", "left").put("group", group), id));
  }

  public static OutFrame ack(Object id, String group, long seq) {
    return frame(new JsonObject().put("type", "ack").put("id", id).put("group", group).put("seq", seq));
  }

  public static OutFrame authenticated(Object id, String user) {
    return frame(putId(new JsonObject().put("type", "authenticated"), id).put("user", user));
  }

  public static OutFrame pong(Object id) {
    return frame(putId(new JsonObject().put("type", "pong"), id));
  }

  public static OutFrame error(Object id, ErrorCode code, String message) {
    JsonObject json = new JsonObject().put("type", "error");
    putId(json, id);
    return frame(json.put("code", code.code()).put("message", message));
  }

  public static OutFrame error(ProtocolException e) {
    return error(e.requestId(), e.code(), e.getMessage());
  }

  /** A group message: the frame fanned out to every member of the group on a node. */
  public static OutFrame message(GroupMessage m) {
    return new OutFrame(new JsonObject()
        .put("type", "message")
        .put("group", m.group())
        .put("seq", m.seq())
        .put("from", m.from())
        .put("body", m.body())
        .put("ts", m.ts()).encode(), true);
  }

  private static JsonObject putId(JsonObject json, Object id) {
    if (id != null) {
      json.put("id", id);
    }
    return json;
  }

  private static OutFrame frame(JsonObject json) {
    return new OutFrame(json.encode(), false);
  }
}
