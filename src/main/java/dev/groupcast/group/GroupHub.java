package dev.groupcast.group;

import dev.groupcast.error.ProtocolException;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.ops.NodeMetrics;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The node's side of every group: the one publish path and the one subscription per group.
 *
 * <p>Publishing: every path (sessions, HTTP API, server code on the event bus) calls {@link #publish}.
 * Publishes to a group queue per node and go to the {@link HistoryStore} in batches, one append in
 * flight per group, so one cluster round trip assigns consecutive seqs in the order the node accepted
 * them. Each sequenced message is then published on {@code group.<name>} with a marker header.
 *
 * <p>Delivering: the node registers one event-bus consumer per group that has local members, puts the
 * messages back in seq order (publishes from different nodes may cross on the wire), fills a gap from
 * history when a seq does not show up, encodes each message once and hands it to every
 * {@link LocalHub} (one per event loop) with members in that group.
 *
 * <p>All state is confined to this verticle's context; public methods may be called from any thread.
 */
public final class GroupHub extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(GroupHub.class);

  /** Marks an event-bus message on {@code group.*} as already sequenced (fan-out, not a publish request). */
  public static final String SEQUENCED_HEADER = "gc-seq";
  /** Optional header naming the publisher when server code publishes on {@code group.*}. */
  public static final String FROM_HEADER = "from";
  public static final String SERVER_FROM = "server";

  static final int MAX_BATCH = 256;
  static final int MAX_QUEUED_PER_GROUP = 10_000;
  /** How long a missing seq may take to arrive before it is read from history. */
  static final long GAP_WAIT_MS = 200;
  /**
   * A new subscription re-reads the history tail once after this delay: a publisher on another node
   * may not have seen the new consumer yet when it fanned out.
   */
  static final long SETTLE_CHECK_MS = 1000;
  static final long SWEEP_INTERVAL_MS = 5000;
  static final long SWEEP_ACTIVE_WINDOW_MS = 60_000;

  private final HistoryStore history;
  private final Presence presence;
  private NodeMetrics metrics;
  private final Map<String, PublishQueue> publishing = new HashMap<>();
  private final Map<String, Feed> feeds = new HashMap<>();
  private final Handler<DeliveryContext<Object>> interceptor = this::interceptOutbound;

  public GroupHub(HistoryStore history, Presence presence) {
    this.history = history;
    this.presence = presence;
  }

  @Override
  public Future<?> start() {
    metrics = NodeMetrics.of(vertx);
    vertx.eventBus().addOutboundInterceptor(interceptor);
    vertx.setPeriodic(SWEEP_INTERVAL_MS, id -> sweepRecentlyActive());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.eventBus().removeOutboundInterceptor(interceptor);
    List<Future<Void>> unregistered = new ArrayList<>();
    for (Feed feed : feeds.values()) {
      unregistered.add(feed.consumer.unregister());
    }
    feeds.clear();
    return Future.join(unregistered);
  }

  public HistoryStore history() {
    return history;
  }

  public Presence presence() {
    return presence;
  }

  /**
   * The groups this node follows, with the messages fanned out here since the node started and
   * when the last one was: {@code [{"group","messages","lastAt"}]}.
   */
  public Future<List<JsonObject>> groupActivity() {
    Promise<List<JsonObject>> result = callerPromise();
    onHub(() -> {
      List<JsonObject> out = new ArrayList<>();
      feeds.values().forEach(f -> out.add(new JsonObject().put("group", f.group).put("messages", f.dispatched)
          .put("lastAt", f.lastDispatchAt)));
      result.complete(out);
    });
    return result.future();
  }

  // ---------------------------------------------------------------- publish path

  /**
   * Sequences, records and fans out one message. The future completes, on the caller's context, with
   * the message's seq once it is in history; it fails with a {@link ProtocolException} otherwise.
   */
  public Future<Long> publish(String group, String from, Object body) {
    Promise<Long> accepted = callerPromise();
    long ts = System.currentTimeMillis();
    String entry;
    try {
      // encoded on the caller's event loop, so a body that cannot be encoded fails alone
      entry = HistoryStore.entry(from, body, ts);
    } catch (RuntimeException e) {
      accepted.fail(new ProtocolException(ErrorCode.BAD_REQUEST, "body is not a JSON value"));
      return accepted.future();
    }
    Pending pending = new Pending(from, body, ts, entry, accepted);
    onHub(() -> enqueue(group, pending));
    return accepted.future();
  }

  private void enqueue(String group, Pending pending) {
    PublishQueue queue = publishing.computeIfAbsent(group, PublishQueue::new);
    if (queue.waiting.size() >= MAX_QUEUED_PER_GROUP) {
      pending.accepted.fail(new ProtocolException(ErrorCode.RATE_LIMITED,
          "too many publishes waiting for group " + group + "; retry later"));
      return;
    }
    queue.waiting.add(pending);
    appendNext(queue);
  }

  private void appendNext(PublishQueue queue) {
    if (queue.inFlight || queue.waiting.isEmpty()) {
      return;
    }
    int n = Math.min(MAX_BATCH, queue.waiting.size());
    List<Pending> batch = new ArrayList<>(n);
    List<String> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Pending p = queue.waiting.poll();
      batch.add(p);
      entries.add(p.entry);
    }
    queue.inFlight = true;
    Future<Long> appended;
    try {
      appended = history.append(queue.group, entries);
    } catch (RuntimeException e) {
      appended = Future.failedFuture(e); // e.g. Hazelcast shutting down: fail the batch, keep the queue moving
    }
    appended.onComplete(ar -> {
      queue.inFlight = false;
      if (ar.succeeded()) {
        fanOut(queue.group, batch, ar.result() - n + 1);
      } else {
        log.warn("history append for group {} failed: {}", queue.group, ar.cause().toString());
        ProtocolException e = new ProtocolException(ErrorCode.INTERNAL, "message not accepted: history unavailable");
        batch.forEach(p -> p.accepted.fail(e));
      }
      if (queue.waiting.isEmpty()) {
        publishing.remove(queue.group);
      } else {
        appendNext(queue);
      }
    });
  }

  private void fanOut(String group, List<Pending> batch, long firstSeq) {
    String address = GroupNames.address(group);
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      GroupMessage m = new GroupMessage(group, firstSeq + i, p.from, p.body, p.ts);
      vertx.eventBus().publish(address, m.toJson(), new DeliveryOptions().addHeader(SEQUENCED_HEADER, "1"));
      p.accepted.complete(m.seq());
    }
    metrics.published(batch.size());
  }

  /**
   * Server code may publish on {@code group.<name>} like on any address: the message is taken out of
   * the bus on the sending node and goes through {@link #publish} instead, so it gets a seq and a
   * place in history. A request (not a plain publish) is answered with {@code {"seq":N}}.
   */
  private void interceptOutbound(DeliveryContext<Object> dc) {
    Message<Object> message = dc.message();
    String address = message.address();
    if (!address.startsWith(GroupNames.ADDRESS_PREFIX) || message.headers().contains(SEQUENCED_HEADER)) {
      dc.next();
      return;
    }
    String group = GroupNames.fromAddress(address);
    Object body;
    try {
      if (group == null) {
        throw new ProtocolException(ErrorCode.INVALID_GROUP, "invalid group address " + address);
      }
      body = jsonValue(dc.body());
    } catch (ProtocolException e) {
      log.warn("dropped event-bus message to {}: {}", address, e.getMessage());
      if (message.replyAddress() != null) {
        message.fail(e.code().httpStatus(), e.getMessage());
      }
      return;
    }
    String from = message.headers().get(FROM_HEADER);
    publish(group, from == null || from.isBlank() ? SERVER_FROM : from, body).onComplete(ar -> {
      if (message.replyAddress() == null) {
        return;
      }
      if (ar.succeeded()) {
        message.reply(new JsonObject().put("seq", ar.result()));
      } else {
        message.fail(ReplyFailure.RECIPIENT_FAILURE.toInt(), ar.cause().getMessage());
      }
    });
  }

  private static Object jsonValue(Object body) {
    if (body == null || body instanceof JsonObject || body instanceof JsonArray || body instanceof String
        || body instanceof Number || body instanceof Boolean) {
      return body;
    }
    if (body instanceof Map<?, ?> map) {
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) map;
      return new JsonObject(m);
    }
    if (body instanceof List<?> list) {
      return new JsonArray(new ArrayList<>(list));
    }
    throw new ProtocolException(ErrorCode.BAD_REQUEST,
        "a group message body must be a JSON value, not " + body.getClass().getSimpleName());
  }

  /** Completes once every accepted publish is in history and fanned out (checked on the hub's loop). */
  public Future<Void> whenIdle() {
    Promise<Void> idle = callerPromise();
    onHub(() -> awaitIdle(idle));
    return idle.future();
  }

  private void awaitIdle(Promise<Void> idle) {
    if (publishing.isEmpty()) {
      idle.complete();
    } else {
      vertx.setTimer(10, id -> awaitIdle(idle));
    }
  }

  // ---------------------------------------------------------------- delivery path

  /**
   * Starts delivering {@code group} to {@code local}. Completes on the local hub's context with the seq
   * of the last message delivered before this subscription: every later one will be handed to it, in
   * order, through {@link LocalHub#deliver}.
   */
  Future<Long> subscribe(String group, LocalHub local) {
    Promise<Long> boundary = local.context().promise();
    onHub(() -> {
      Feed feed = feeds.get(group);
      if (feed == null) {
        feed = new Feed(group);
        feeds.put(group, feed);
        metrics.groupOpened();
        open(feed);
      }
      feed.locals.add(local);
      if (feed.ready) {
        boundary.complete(feed.next - 1);
      } else {
        feed.waiting.add(boundary);
      }
    });
    return boundary.future();
  }

  void unsubscribe(String group, LocalHub local) {
    onHub(() -> {
      Feed feed = feeds.get(group);
      if (feed != null && feed.locals.remove(local) && feed.locals.isEmpty()) {
        close(feed, "no members left");
      }
    });
  }

  /** After a member left the cluster: a message it sequenced may never have been fanned out. */
  public void catchUpAll() {
    onHub(() -> feeds.values().forEach(feed -> {
      if (feed.ready) {
        catchUp(feed, Long.MAX_VALUE);
      }
    }));
  }

  private void open(Feed feed) {
    feed.consumer = vertx.eventBus().consumer(GroupNames.address(feed.group), m -> onBusMessage(feed, m));
    feed.consumer.completion()
        .compose(v -> history.latest(feed.group))
        .onComplete(ar -> {
          if (feeds.get(feed.group) != feed) {
            return;
          }
          if (ar.failed()) {
            log.warn("cannot subscribe to group {}: {}", feed.group, ar.cause().toString());
            close(feed, "subscription failed: " + ar.cause().getMessage());
            return;
          }
          feed.next = ar.result() + 1;
          feed.ready = true;
          feed.waiting.forEach(p -> p.complete(feed.next - 1));
          feed.waiting.clear();
          drain(feed);
          vertx.setTimer(SETTLE_CHECK_MS, id -> {
            if (feeds.get(feed.group) == feed) {
              catchUp(feed, Long.MAX_VALUE);
            }
          });
        });
  }

  private void close(Feed feed, String why) {
    if (feeds.remove(feed.group) == feed) {
      metrics.groupClosed();
    }
    feed.consumer.unregister();
    if (feed.gapTimer >= 0) {
      vertx.cancelTimer(feed.gapTimer);
    }
    ProtocolException e = new ProtocolException(ErrorCode.INTERNAL, why);
    feed.waiting.forEach(p -> p.fail(e));
    feed.waiting.clear();
  }

  private void onBusMessage(Feed feed, Message<JsonObject> m) {
    if (!m.headers().contains(SEQUENCED_HEADER) || !(m.body() instanceof JsonObject)) {
      return;
    }
    GroupMessage msg;
    try {
      msg = GroupMessage.fromJson(m.body());
    } catch (IllegalArgumentException e) {
      log.warn("ignored malformed message on {}: {}", m.address(), e.getMessage());
      return;
    }
    if (!feed.ready) {
      feed.early.put(msg.seq(), msg);
    } else {
      accept(feed, msg);
    }
  }

  private void accept(Feed feed, GroupMessage msg) {
    if (msg.seq() < feed.next) {
      return;
    }
    if (msg.seq() > feed.next) {
      feed.early.put(msg.seq(), msg);
      armGapTimer(feed);
      return;
    }
    dispatch(feed, msg);
    drain(feed);
  }

  /** Dispatches the buffered messages that are next in line. */
  private void drain(Feed feed) {
    while (!feed.early.isEmpty()) {
      long first = feed.early.firstKey();
      if (first < feed.next) {
        feed.early.pollFirstEntry();
      } else if (first == feed.next) {
        dispatch(feed, feed.early.pollFirstEntry().getValue());
      } else {
        armGapTimer(feed);
        return;
      }
    }
    if (feed.gapTimer >= 0) {
      vertx.cancelTimer(feed.gapTimer);
      feed.gapTimer = -1;
    }
  }

  private void dispatch(Feed feed, GroupMessage msg) {
    feed.next = msg.seq() + 1;
    feed.lastDispatchAt = System.currentTimeMillis();
    feed.dispatched++;
    metrics.fannedOut(feed.lastDispatchAt - msg.ts());
    OutFrame frame = Frames.message(msg);
    for (LocalHub local : feed.locals) {
      local.deliver(feed.group, msg.seq(), frame);
    }
  }

  private void armGapTimer(Feed feed) {
    if (feed.gapTimer >= 0 || feed.filling) {
      return;
    }
    feed.gapTimer = vertx.setTimer(GAP_WAIT_MS, id -> {
      feed.gapTimer = -1;
      if (feeds.get(feed.group) == feed && !feed.early.isEmpty()) {
        catchUp(feed, feed.early.firstKey() - 1);
      }
    });
  }

  /** Reads the messages after the last dispatched one, up to {@code until}, from history. */
  private void catchUp(Feed feed, long until) {
    if (feed.filling) {
      feed.catchUpAfterFill = Math.max(feed.catchUpAfterFill, until);
      return;
    }
    if (until < feed.next) {
      return;
    }
    feed.filling = true;
    history.read(feed.group, feed.next - 1, until).onComplete(ar -> {
      feed.filling = false;
      if (feeds.get(feed.group) != feed) {
        return;
      }
      if (ar.failed()) {
        log.warn("history read for group {} failed: {}", feed.group, ar.cause().toString());
      } else {
        for (GroupMessage msg : ar.result().messages()) {
          if (msg.seq() > feed.next) {
            log.warn("group {}: messages {}..{} expired before this node could deliver them",
                feed.group, feed.next, msg.seq() - 1);
          }
          if (msg.seq() >= feed.next) {
            dispatch(feed, msg);
          }
        }
        if (until != Long.MAX_VALUE && feed.next <= until) {
          log.warn("group {}: messages {}..{} are missing from history; skipped", feed.group, feed.next, until);
          feed.next = until + 1;
        }
      }
      drain(feed);
      long again = feed.catchUpAfterFill;
      feed.catchUpAfterFill = 0;
      if (again > 0) {
        catchUp(feed, again);
      }
    });
  }

  /**
   * The event bus does not retry a fan-out lost with a dying connection. When that message was a
   * group's last one, no later seq reveals the gap, so groups active lately re-read their history tail
   * now and then.
   */
  private void sweepRecentlyActive() {
    long since = System.currentTimeMillis() - SWEEP_ACTIVE_WINDOW_MS;
    for (Feed feed : feeds.values()) {
      if (feed.ready && feed.lastDispatchAt >= since) {
        catchUp(feed, Long.MAX_VALUE);
      }
    }
  }

  // ---------------------------------------------------------------- plumbing

  private void onHub(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  /** A promise whose listeners run on the context of whoever called, whichever thread completes it. */
  private <T> Promise<T> callerPromise() {
    return ((ContextInternal) vertx.getOrCreateContext()).promise();
  }

  private record Pending(String from, Object body, long ts, String entry, Promise<Long> accepted) {
  }

  private static final class PublishQueue {
    final String group;
    final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    boolean inFlight;

    PublishQueue(String group) {
      this.group = group;
    }
  }

  /** One group's subscription on this node. */
  private static final class Feed {
    final String group;
    final Set<LocalHub> locals = new LinkedHashSet<>();
    final List<Promise<Long>> waiting = new ArrayList<>();
    /** Messages that arrived ahead of their turn, by seq. */
    final TreeMap<Long, GroupMessage> early = new TreeMap<>();
    MessageConsumer<JsonObject> consumer;
    /** The seq to dispatch next; valid once ready. */
    long next;
    boolean ready;
    boolean filling;
    /** A catch-up asked for while a fill was running, run when it ends (0: none). */
    long catchUpAfterFill;
    long lastDispatchAt;
    long dispatched;
    long gapTimer = -1;

    Feed(String group) {
      this.group = group;
    }
  }
}
