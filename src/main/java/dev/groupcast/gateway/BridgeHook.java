package dev.groupcast.gateway;

import dev.groupcast.ops.NodeMetrics;
import dev.groupcast.auth.Authenticator;
import dev.groupcast.auth.Credentials;
import dev.groupcast.auth.Identity;
import dev.groupcast.group.GroupHub;
import dev.groupcast.group.GroupNames;
import io.vertx.core.Future;
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
 * stamps it (or the token's user) as the {@code from} of what the connection publishes, overwriting any
 * header the browser sent, so a client cannot speak for someone else. Tokens and permissions are
 * checked here.
 */
final class BridgeHook implements Handler<BridgeEvent> {

  private record Client(String id, Identity identity) {
  }

  /** Bridge connections of this event loop; the hook runs on the loop that owns them. */
  private final Map<SockJSSocket, Client> clients = new IdentityHashMap<>();
  private final Authenticator auth;

  private final NodeMetrics metrics;

  BridgeHook(Authenticator auth, NodeMetrics metrics) {
    this.auth = auth;
    this.metrics = metrics;
  }

  @Override
  public void handle(BridgeEvent event) {
    BridgeEventType type = event.type();
    switch (type) {
      case SOCKET_CREATED -> {
        clients.put(event.socket(), new Client("bridge-" + randomId(), null));
        metrics.connectionOpened(NodeMetrics.TRANSPORT_BRIDGE);
        event.complete(true);
      }
      case SOCKET_CLOSED -> {
        if (clients.remove(event.socket()) != null) {
          metrics.connectionClosed(NodeMetrics.TRANSPORT_BRIDGE);
        }
        event.complete(true);
      }
      case SEND, PUBLISH, REGISTER -> authorize(event, type != BridgeEventType.REGISTER);
      default -> event.complete(true);
    }
  }

  /**
   * A message may carry a token in its headers ({@code token}, or {@code Authorization: Bearer});
   * the identity it proves stays with the connection. Publishing needs the token's publish patterns,
   * registering its join patterns; the {@code from} of a publish is the token's user.
   */
  private void authorize(BridgeEvent event, boolean publishing) {
    JsonObject raw = event.getRawMessage();
    JsonObject headers = raw.getValue("headers") instanceof JsonObject h ? h : new JsonObject();
    Client client = clients.computeIfAbsent(event.socket(), s -> new Client("bridge-" + randomId(), null));
    String token = Credentials.ofBridgeMessage(headers);
    Future<Identity> who = token == null ? Future.succeededFuture(client.identity()) : auth.authenticate(token);
    who.onComplete(ar -> {
      if (ar.failed()) {
        refuse(event, "unauthorized");
        return;
      }
      Identity identity = ar.result();
      if (identity == null && auth.required()) {
        refuse(event, "unauthorized");
        return;
      }
      String address = raw.getValue("address") instanceof String a ? a : "";
      String group = GroupNames.fromAddress(address);
      if (identity != null && group != null
          && !(publishing ? identity.mayPublish(group) : identity.mayJoin(group))) {
        refuse(event, "forbidden");
        return;
      }
      if (token != null) {
        clients.put(event.socket(), new Client(client.id(), identity));
      }
      if (publishing) {
        headers.remove(Credentials.BRIDGE_TOKEN);
        headers.remove("Authorization");
        headers.put(GroupHub.FROM_HEADER, identity != null ? identity.user() : client.id());
        event.setRawMessage(raw.put("headers", headers));
      }
      event.complete(true);
    });
  }

  /** The bridge's own error envelope, with our code, then the bridge drops the message. */
  private static void refuse(BridgeEvent event, String code) {
    event.socket().write(new JsonObject().put("type", "err").put("body", code).encode());
    event.complete(false);
  }

  private static String randomId() {
    return Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  }
}
