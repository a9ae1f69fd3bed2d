package dev.groupcast.gateway;

import dev.groupcast.group.GroupHub;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The event hook of the {@code /eventbus} bridge. Address permissions are the bridge's own
 * (inbound and outbound {@code group.<name>} only); this hook gives each bridge connection an id and
 * stamps it as the {@code from} of what the connection publishes, overwriting any header the browser
 * sent, so a client cannot speak for someone else. Authorisation plugs in here.
 */
final class BridgeHook implements Handler<BridgeEvent> {

  /** Bridge connections of this event loop; the hook runs on the loop that owns them. */
  private final Map<SockJSSocket, String> ids = new IdentityHashMap<>();

  @Override
  public void handle(BridgeEvent event) {
    BridgeEventType type = event.type();
    switch (type) {
      case SOCKET_CREATED -> ids.put(event.socket(), "bridge-" + randomId());
      case SOCKET_CLOSED -> ids.remove(event.socket());
      case SEND, PUBLISH -> {
        JsonObject raw = event.getRawMessage();
        JsonObject headers = raw.getValue("headers") instanceof JsonObject h ? h : new JsonObject();
        headers.put(GroupHub.FROM_HEADER, ids.getOrDefault(event.socket(), "bridge"));
        event.setRawMessage(raw.put("headers", headers));
      }
      default -> {
      }
    }
    event.complete(true);
  }

  private static String randomId() {
    return Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  }
}
