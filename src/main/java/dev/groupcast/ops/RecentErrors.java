package dev.groupcast.ops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.Iterator;

/** The last errors answered on this node, newest first, for the dashboard. */
final class RecentErrors {

  private record Entry(long at, String code, String message) {
  }

  private final int capacity;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();

  RecentErrors(int capacity) {
    this.capacity = capacity;
  }

  synchronized void add(String code, String message) {
    if (entries.size() == capacity) {
      entries.removeLast();
    }
    entries.addFirst(new Entry(System.currentTimeMillis(), code, message));
  }

  synchronized JsonArray toJson() {
    JsonArray out = new JsonArray();
    for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
      Entry e = it.next();
      out.add(new JsonObject().put("at", e.at()).put("code", e.code()).put("message", e.message()));
    }
    return out;
  }
}
