package dev.groupcast.group;

import io.vertx.core.json.JsonObject;

/**
 * A sequenced message of a group. Its JSON form {@code {"group","seq","from","body","ts"}} is the body
 * of the event-bus message on {@code group.<name>}, what bridge clients receive and what the history
 * API lists.
 */
public record GroupMessage(String group, long seq, String from, Object body, long ts) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("group", group)
        .put("seq", seq)
        .put("from", from)
        .put("body", body)
        .put("ts", ts);
  }

  /** @throws IllegalArgumentException when a field is missing or of the wrong type */
  public static GroupMessage fromJson(JsonObject json) {
    Object group = json.getValue("group");
    Object seq = json.getValue("seq");
    Object from = json.getValue("from");
    Object ts = json.getValue("ts");
    if (!(group instanceof String g) || !(seq instanceof Number s) || !(from instanceof String f)
        || !(ts instanceof Number t)) {
      throw new IllegalArgumentException("not a group message: " + json);
    }
    return new GroupMessage(g, s.longValue(), f, json.getValue("body"), t.longValue());
  }
}
