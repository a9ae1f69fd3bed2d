package dev.groupcast.group;

import dev.groupcast.error.ProtocolException;
import dev.groupcast.error.ErrorCode;
import io.vertx.core.json.Json;
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

  /**
   * {@code since}: resume after that seq, of the stream {@code epoch} (null: whatever the group's is
   * now); {@code presence}: the client wants join and leave events of the group's members.
   */
  public record Join(Object id, String group, Long since, String epoch, boolean presence) implements Request {
  }

  /** {@code {"type":"presence","group":G}}: who is in the group, cluster-wide. */
  public record PresenceQuery(Object id, String group) implements Request {
  }

  public record Leave(Object id, String group) implements Request {
  }

  /** {@code key}: the client's name for this publish, so a repeat of it is stored once (null: none). */
  public record Publish(Object id, String group, Object body, String key) implements Request {
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
        case "join" -> new Join(id, group(json), since(json), epoch(json), flag(json, "presence"));
        case "presence" -> new PresenceQuery(id, group(json));
        case "leave" -> new Leave(id, group(json));
        case "publish" -> {
          String group = group(json);
          if (!json.containsKey("body")) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "body is required");
          }
          yield new Publish(id, group, json.getValue("body"), key(json));
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

  /** A publish key: 1 to {@value #MAX_KEY_LENGTH} characters, or absent. */
  public static final int MAX_KEY_LENGTH = 128;

  private static String key(JsonObject json) {
    Object v = json.getValue("key");
    if (v == null) {
      return null;
    }
    if (!(v instanceof String k) || k.isEmpty() || k.length() > MAX_KEY_LENGTH) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "key must be a string of 1 to " + MAX_KEY_LENGTH + " characters");
    }
    return k;
  }

  private static String epoch(JsonObject json) {
    Object v = json.getValue("epoch");
    if (v == null) {
      return null;
    }
    if (!(v instanceof String e) || e.isEmpty() || e.length() > 64) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "epoch must be a string (the one joined or reset gave)");
    }
    return e;
  }

  private static String abbreviate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }

  // ---- outbound frames

  public static OutFrame welcome(String session, String node) {
    return frame(new JsonObject().put("type", "welcome").put("session", session).put("node", node));
  }

  public static OutFrame joined(Object id, String group, String epoch, long seq, Boolean recovered) {
    return joined(id, group, epoch, seq, recovered, null);
  }

  /** {@code members}: with the join's {@code presence} option, who is in the group as the join is answered. */
  public static OutFrame joined(Object id, String group, String epoch, long seq, Boolean recovered, JsonArray members) {
    JsonObject json = new JsonObject().put("type", "joined").put("group", group);
    putId(json, id);
    json.put("epoch", epoch).put("seq", seq);
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

  /** {@code duplicate}: the publish's key was seen before; {@code seq} is the first one's. */
  public static OutFrame ack(Object id, String group, long seq, boolean duplicate) {
    JsonObject json = new JsonObject().put("type", "ack").put("id", id).put("group", group).put("seq", seq);
    return frame(duplicate ? json.put("duplicate", true) : json);
  }

  /**
   * The member's stream could not go on from where it was (a new epoch, or seqs that are gone): it
   * continues from {@code seq} of {@code epoch}; the next message it gets has a higher seq.
   */
  public static OutFrame reset(String group, String epoch, long seq) {
    return frame(new JsonObject().put("type", "reset").put("group", group).put("epoch", epoch).put("seq", seq));
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

  /**
   * A group message: the frame fanned out to every member of the group, the same bytes on every node.
   * Built from the body's JSON text as the publishing node encoded it: no body is parsed on the way.
   */
  public static String messageText(String group, long seq, String from, String bodyJson, long ts) {
    // group names need no escaping ([A-Za-z0-9._:-]); from is any string
    return "{\"type\":\"message\",\"group\":\"" + group + "\",\"seq\":" + seq + ",\"from\":" + Json.encode(from)
        + ",\"body\":" + bodyJson + ",\"ts\":" + ts + "}";
  }

  public static OutFrame message(String group, long seq, String from, String bodyJson, long ts) {
    return OutFrame.shared(messageText(group, seq, from, bodyJson, ts));
  }

  private static JsonObject putId(JsonObject json, Object id) {
    if (id != null) {
      json.put("id", id);
    }
    return json;
  }

  private static OutFrame frame(JsonObject json) {
    return OutFrame.single(json.encode());
  }
}
