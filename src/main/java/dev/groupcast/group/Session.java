package dev.groupcast.group;

import dev.groupcast.error.ProtocolException;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.auth.Authenticator;
import dev.groupcast.auth.Identity;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One client connection speaking protocol v1, whatever carries it: a transport feeds it text frames
 * and gives it an {@link Outbound}. Confined to the event loop of its connection.
 */
public final class Session {

  private static final Logger log = LoggerFactory.getLogger(Session.class);
  private static final char[] ID_ALPHABET =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

  /** What every session of a node shares: see {@code limits.*}. */
  public record Settings(String nodeId, int maxMessageBytes, int publishRate, int publishBurst,
                         int groupsPerConnection) {
  }

  private final String id;
  private final Outbound out;
  private final LocalHub hub;
  private final Settings settings;
  private final Map<String, Member> groups = new HashMap<>();
  private boolean closed;
  private final PublishBudget budget;
  /**
   * Every frame, of any kind, draws on this (a bad one costs parsing and an answer too); past it the
   * connection is read more slowly, nothing refused: {@link #FRAMES_PER_PUBLISH} times the publish budget.
   */
  private final PublishBudget frames;
  static final int FRAMES_PER_PUBLISH = 4;
  private final Authenticator auth;
  private Identity identity;

  /** {@code identity} is who the connection proved to be when it opened, or null. */
  public Session(Outbound out, LocalHub hub, Settings settings, Authenticator auth, Identity identity) {
    this.id = newId();
    this.out = out;
    this.hub = hub;
    this.settings = settings;
    this.auth = auth;
    this.identity = identity;
    this.budget = new PublishBudget(settings.publishRate(), settings.publishBurst());
    this.frames = new PublishBudget(settings.publishRate() * FRAMES_PER_PUBLISH,
        settings.publishBurst() * FRAMES_PER_PUBLISH);
  }

  public String id() {
    return id;
  }

  /** The authenticated user, or null for an anonymous connection. */
  public String user() {
    return identity != null ? identity.user() : null;
  }

  /** Greets the client; call once the transport is open. */
  public void open() {
    hub.opened(this);
    hub.metrics().connectionOpened(out.transport());
    send(Frames.welcome(id, settings.nodeId()));
  }

  /** Closes the connection, e.g. with 1012 "service restart" when the node drains. */
  void close(int code, String reason) {
    out.close(code, reason);
    onClose();
  }

  public void onText(String text) {
    if (closed) {
      return;
    }
    long now = System.nanoTime();
    if (!frames.take(now)) {
      out.pauseInput(frames.nanosUntilToken(now));
    }
    if (exceedsUtf8(text, settings.maxMessageBytes())) {
      sendError(null, ErrorCode.TOO_LARGE,
          "frame larger than limits.maxMessageBytes (" + settings.maxMessageBytes() + " bytes)");
      return;
    }
    try {
      handle(Frames.decode(text));
    } catch (ProtocolException e) {
      sendError(e.requestId(), e.code(), e.getMessage());
    } catch (RuntimeException e) {
      log.error("session {}: unexpected failure handling a frame", id, e);
      sendError(null, ErrorCode.INTERNAL, "internal error");
    }
  }

  public void onBinary() {
    if (!closed) {
      sendError(null, ErrorCode.BAD_REQUEST, "binary frames are not supported; send JSON text frames");
    }
  }

  /** The transport closed: leave every group. */
  public void onClose() {
    if (closed) {
      return;
    }
    closed = true;
    hub.closed(this);
    hub.metrics().connectionClosed(out.transport());
    for (Member m : new ArrayList<>(groups.values())) {
      hub.leave(m);
    }
    groups.clear();
  }

  void send(OutFrame frame) {
    if (!closed) {
      out.send(frame);
    }
  }

  void send(FrameRun run) {
    if (!closed) {
      out.send(run);
    }
  }

  private void handle(Frames.Request request) {
    if (request instanceof Frames.Join join) {
      join(join);
    } else if (request instanceof Frames.Leave leave) {
      leave(leave);
    } else if (request instanceof Frames.Publish publish) {
      publish(publish);
    } else if (request instanceof Frames.Ping ping) {
      send(Frames.pong(ping.id()));
    } else if (request instanceof Frames.Auth authRequest) {
      authenticate(authRequest);
    } else if (request instanceof Frames.PresenceQuery query) {
      presence(query);
    }
  }

  private void authenticate(Frames.Auth req) {
    auth.authenticate(req.token()).onComplete(ar -> {
      if (ar.failed()) {
        sendFailure(req.id(), ar.cause()); // the connection stays open for a correct retry
        return;
      }
      identity = ar.result();
      send(Frames.authenticated(req.id(), identity.user()));
    });
  }

  /** Who may do what: with auth required, nothing before a valid token; with a token, what its claims allow. */
  private void authorize(Object requestId, String group, boolean publishing) {
    if (identity == null) {
      if (auth.required()) {
        throw new ProtocolException(ErrorCode.UNAUTHORIZED, "authenticate first (a token is required)", requestId);
      }
      return;
    }
    if (publishing ? !identity.mayPublish(group) : !identity.mayJoin(group)) {
      throw new ProtocolException(ErrorCode.FORBIDDEN,
          "not allowed to " + (publishing ? "publish to " : "join ") + group, requestId);
    }
  }

  private void join(Frames.Join req) {
    authorize(req.id(), req.group(), false);
    Member current = groups.get(req.group());
    if (current != null && current.joining != null && !current.joining.isComplete()) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "a join of group " + req.group() + " is in progress",
          req.id());
    }
    if (current == null && groups.size() >= settings.groupsPerConnection()) {
      throw new ProtocolException(ErrorCode.FORBIDDEN,
          "at most " + settings.groupsPerConnection() + " groups per connection (limits.groupsPerConnection)", req.id());
    }
    // a join may cost the cluster a write (a group new to this node): it draws on the same budget
    spend(req.id(), "publishes, joins and presence queries");
    if (current != null) {
      hub.leave(current);
    }
    Member member = new Member(this, req.group());
    member.presenceEvents = req.presence();
    groups.put(req.group(), member);
    member.joining = hub.join(member, req.since(), req.epoch()).onComplete(ar -> {
      if (ar.failed()) {
        groups.remove(req.group(), member);
        sendFailure(req.id(), ar.cause());
        return;
      }
      LocalHub.JoinResult r = ar.result();
      send(Frames.joined(req.id(), req.group(), r.epoch(), r.latest(), r.recovered(), r.members()));
      member.replay(r.history());
    });
  }

  /** Anyone who may join a group may see who is in it. */
  private void presence(Frames.PresenceQuery req) {
    authorize(req.id(), req.group(), false);
    spend(req.id(), "publishes, joins and presence queries"); // a query asks every node
    hub.hub().presence().members(req.group()).onComplete(ar -> {
      if (ar.failed()) {
        sendFailure(req.id(), new ProtocolException(ErrorCode.INTERNAL, "presence unavailable"));
      } else {
        send(Frames.presence(req.id(), req.group(), ar.result()));
      }
    });
  }

  private void leave(Frames.Leave req) {
    Member member = groups.remove(req.group());
    if (member == null) {
      send(Frames.left(req.id(), req.group()));
      return;
    }
    // a leave draws on the budget too (join-leave churn is paid for), but is never refused: leaving
    // frees state, and refusing it would keep the client's footprint where it is
    budget.take(System.nanoTime());
    // a leave that overtakes its join is answered after the join's answer
    Future<?> after = member.joining == null ? Future.succeededFuture() : member.joining;
    after.onComplete(ar -> {
      hub.leave(member);
      send(Frames.left(req.id(), req.group()));
    });
  }

  private void publish(Frames.Publish req) {
    authorize(req.id(), req.group(), true);
    spend(req.id(), "publishes, joins and presence queries");
    hub.hub().publish(req.group(), identity != null ? identity.user() : id, req.body(), req.key()).onComplete(ar -> {
      if (ar.failed()) {
        sendFailure(req.id(), ar.cause());
      } else if (req.id() != null) {
        send(Frames.ack(req.id(), req.group(), ar.result().seq(), ar.result().duplicate()));
      }
    });
  }

  /** Requests that cost the cluster work share the connection's budget; past it, rate_limited. */
  private void spend(Object requestId, String what) {
    long now = System.nanoTime();
    if (!budget.take(now)) {
      // refused, and read no further until the budget has a token again: a client that keeps
      // sending past it is held back by TCP instead of costing an answer per frame
      out.pauseInput(budget.nanosUntilToken(now));
      throw new ProtocolException(ErrorCode.RATE_LIMITED, "more than " + settings.publishRate()
          + " " + what + " a second (limits.publishRate, limits.publishBurst)", requestId);
    }
  }

  private void sendFailure(Object requestId, Throwable cause) {
    if (cause instanceof ProtocolException pe) {
      sendError(requestId, pe.code(), pe.getMessage());
    } else {
      log.warn("session {}: request failed: {}", id, cause.toString());
      sendError(requestId, ErrorCode.INTERNAL, "internal error");
    }
  }

  private void sendError(Object requestId, ErrorCode code, String message) {
    hub.metrics().error(code, message);
    send(Frames.error(requestId, code, message));
  }

  /** Whether the UTF-8 form of {@code s} is longer than {@code max} bytes, without encoding it. */
  static boolean exceedsUtf8(String s, int max) {
    int n = s.length();
    if (n > max) {
      return true;
    }
    if (n * 3L <= max) {
      return false;
    }
    long bytes = 0;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800 || Character.isSurrogate(c)) {
        bytes += 2; // a surrogate pair is 4 bytes, two chars
      } else {
        bytes += 3;
      }
    }
    return bytes > max;
  }

  private static String newId() {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    char[] id = new char[16];
    for (int i = 0; i < id.length; i++) {
      id[i] = ID_ALPHABET[rnd.nextInt(ID_ALPHABET.length)];
    }
    return new String(id);
  }
}
