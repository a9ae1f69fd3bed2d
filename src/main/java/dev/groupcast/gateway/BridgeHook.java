package dev.groupcast.gateway;

import dev.groupcast.ops.NodeMetrics;
import dev.groupcast.auth.Authenticator;
import dev.groupcast.auth.Credentials;
import dev.groupcast.auth.Identity;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.group.GroupHub;
import dev.groupcast.group.GroupNames;
import dev.groupcast.group.PublishBudget;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The event hook of the {@code /eventbus} bridge. Address permissions are the bridge's own
 * (inbound and outbound {@code group.<name>} only); this hook gives each bridge connection an id and
 * stamps it (or the token's user) as the {@code from} of what the connection publishes, overwriting any
 * header the browser sent, so a client cannot speak for someone else. Tokens and permissions are
 * checked here.
 */
final class BridgeHook implements Handler<BridgeEvent> {

  /** A bridge connection: its id, who it proved to be, the groups it registered on, its budget. */
  private record Client(String id, Identity identity, Set<String> groups, PublishBudget budget,
                        Admission.Admitted admitted, InputPause inputPause) {

    Client as(Identity who) {
      return new Client(id, who, groups, budget, admitted, inputPause);
    }
  }

  /** Bridge connections of this event loop; the hook runs on the loop that owns them. */
  private final Map<SockJSSocket, Client> clients = new IdentityHashMap<>();
  private final Vertx vertx;
  private final Authenticator auth;
  private final Admission admission;
  private final GroupHub hub;
  private final NodeMetrics metrics;

  private final int rate;
  private final int burst;

  BridgeHook(Vertx vertx, Admission admission, GroupHub hub, NodeMetrics metrics, int rate, int burst) {
    this.vertx = vertx;
    this.admission = admission;
    this.auth = admission.auth();
    this.hub = hub;
    this.metrics = metrics;
    this.rate = rate;
    this.burst = burst;
  }

  private Client newClient(SockJSSocket socket, Admission.Admitted admitted) {
    return new Client("bridge-" + randomId(), null, new HashSet<>(), new PublishBudget(rate, burst), admitted,
        new InputPause(vertx, socket));
  }

  @Override
  public void handle(BridgeEvent event) {
    BridgeEventType type = event.type();
    switch (type) {
      case SOCKET_CREATED -> {
        // counted against its address like a WebSocket (limits.connectionsPerIp)
        SockJSSocket socket = event.socket();
        admission.admitByAddress(socket.remoteAddress(), socket.headers()).onComplete(ar -> {
          if (ar.failed()) {
            metrics.error(ErrorCode.RATE_LIMITED, ar.cause().getMessage());
            event.complete(false);
            return;
          }
          clients.put(socket, newClient(socket, ar.result()));
          metrics.connectionOpened(NodeMetrics.TRANSPORT_BRIDGE);
          event.complete(true);
        });
      }
      case SOCKET_CLOSED, SOCKET_ERROR -> {
        Client gone = clients.remove(event.socket());
        if (gone != null) {
          // input queued behind a pause stays unread: the bridge has already cleared the socket's state
          // and would handle each frame against none (vertx-web 5.0.10 throws per register or
          // unregister frame then, thousands at once from a flooding client)
          gone.inputPause().stop();
          gone.admitted().release();
          metrics.connectionClosed(NodeMetrics.TRANSPORT_BRIDGE);
          gone.groups().forEach(hub::unfollow);
        }
        event.complete(true);
      }
      case UNREGISTER -> {
        Client client = clients.get(event.socket());
        if (client != null) {
          client.budget().take(System.nanoTime()); // it costs a feed change; never refused, as a leave
        }
        String group = GroupNames.fromAddress(addressOf(event.getRawMessage()));
        if (client != null && group != null && client.groups().remove(group)) {
          hub.unfollow(group);
        }
        event.complete(true);
      }
      case SEND, PUBLISH, REGISTER -> authorize(event, type);
      default -> event.complete(true);
    }
  }

  /**
   * A message may carry a token in its headers ({@code token}, or {@code Authorization: Bearer});
   * the identity it proves stays with the connection. Publishing needs the token's publish patterns,
   * registering its join patterns; the {@code from} of a publish is the token's user.
   */
  private void authorize(BridgeEvent event, BridgeEventType type) {
    boolean publishing = type != BridgeEventType.REGISTER;
    JsonObject raw = event.getRawMessage();
    JsonObject headers = raw.getValue("headers") instanceof JsonObject h ? h : new JsonObject();
    Client client = clients.get(event.socket());
    if (client == null) {
      refuse(event, "unauthorized"); // not admitted (or already gone): nothing passes
      return;
    }
    // publishes, sends and registrations cost the cluster work: the connection's budget, as on /ws
    long now = System.nanoTime();
    if (!client.budget().take(now)) {
      // refused, and read no further until a token is back (see Outbound#pauseInput)
      client.inputPause().pause(client.budget().nanosUntilToken(now));
      metrics.error(ErrorCode.RATE_LIMITED, "a bridge connection went over limits.publishRate");
      refuse(event, ErrorCode.RATE_LIMITED.code());
      return;
    }
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
      String group = GroupNames.fromAddress(addressOf(raw));
      if (identity != null && group != null
          && !(publishing ? identity.mayPublish(group) : identity.mayJoin(group))) {
        refuse(event, "forbidden");
        return;
      }
      Client current = clients.getOrDefault(event.socket(), client);
      if (token != null) {
        current = current.as(identity);
        clients.put(event.socket(), current);
      }
      if (type == BridgeEventType.REGISTER && group != null && current.groups().add(group)) {
        hub.follow(group); // this node delivers the group's messages to its listeners while registered
      }
      if (publishing) {
        // only the headers the bridge sets itself pass: a client's own (a forged delivery mark, a
        // "from") never reach the bus
        JsonObject passed = new JsonObject().put(GroupHub.FROM_HEADER, identity != null ? identity.user() : client.id());
        event.setRawMessage(raw.put("headers", passed));
      }
      event.complete(true);
    });
  }

  private static String addressOf(JsonObject raw) {
    return raw != null && raw.getValue("address") instanceof String a ? a : "";
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
