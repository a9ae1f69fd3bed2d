package dev.groupcast.group;

import dev.groupcast.cluster.ClusterNodes;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.error.ProtocolException;
import dev.groupcast.group.log.GroupStore;
import dev.groupcast.group.log.Publication;
import dev.groupcast.group.log.Slice;
import dev.groupcast.ops.NodeMetrics;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's side of every group, and the one publish path: sessions, the HTTP API, bridge clients
 * and server code on the event bus all call {@link #publish}. Each group belongs to one
 * {@link GroupShard} (by its name's hash), which sequences its publishes and delivers its messages on
 * one event loop; the hub routes to it. Fan-out from other nodes arrives on this node's feed address
 * and goes to the group's shard.
 *
 * <p>Public methods may be called from any thread; futures complete on the caller's context.
 */
public final class GroupHub {

  private static final Logger log = LoggerFactory.getLogger(GroupHub.class);

  /** Marks a message this node delivers to local listeners of a group's address (not a publish request). */
  public static final String SEQUENCED_HEADER = "gc-seq";
  /**
   * The value of {@link #SEQUENCED_HEADER} on this node's own deliveries: random per process and never
   * sent off the node (the deliveries are local only), so nobody else (a bridge client, code on
   * another node) can pass a message off as sequenced.
   */
  static final String SEQUENCED_MARK = java.util.UUID.randomUUID().toString();
  /** Optional header naming the publisher when server code publishes on {@code group.*}. */
  public static final String FROM_HEADER = "from";
  public static final String SERVER_FROM = "server";
  /** Nodes that left are remembered this long, to drop from fan-out lists. */
  static final long DEPARTED_KEEP_MS = 10 * 60_000;

  private final GroupStore store;
  private final Presence presence;
  private final ClusterNodes nodes;
  private final int shardCount;
  /** Bytes of encoded publishes accepted and not yet stored, all groups together; bounded by {@link #queuedPublishBytes}. */
  private final AtomicLong queuedBytes = new AtomicLong();
  private final long queuedPublishBytes;
  private final List<GroupShard> shards = new CopyOnWriteArrayList<>();
  private final Map<String, Long> departed = new ConcurrentHashMap<>();
  /** The highest seq this node knows was acknowledged, per group (see {@link #read}); bounded. */
  private final Map<String, Long> acked = new ConcurrentHashMap<>();
  static final int ACKED_KEPT = 100_000;
  private volatile Set<String> liveNodes = Set.of();
  private final Handler<DeliveryContext<Object>> interceptor = this::interceptOutbound;
  private Vertx vertx;
  private MessageConsumer<FeedBatch> feedConsumer;

  public GroupHub(GroupStore store, Presence presence, ClusterNodes nodes, int shardCount, long queuedPublishBytes) {
    this.queuedPublishBytes = queuedPublishBytes;
    this.store = store;
    this.presence = presence;
    this.nodes = nodes;
    this.shardCount = Math.max(1, shardCount);
  }

  /** Deploys the shards (one per event loop) and listens on this node's feed address. */
  public Future<Void> start(Vertx vertx) {
    this.vertx = vertx;
    vertx.eventBus().registerCodec(new FeedBatch.Codec());
    vertx.eventBus().addOutboundInterceptor(interceptor);
    refreshMembers();
    return vertx.deployVerticle(() -> {
          GroupShard shard = new GroupShard(this);
          shards.add(shard);
          return shard;
        }, new DeploymentOptions().setInstances(shardCount))
        .compose(id -> listen());
  }

  /** This node's feed consumer; registered again after a merge, when the cluster may have lost it. */
  private Future<Void> listen() {
    MessageConsumer<FeedBatch> consumer = vertx.eventBus().consumer(FanOut.address(localBusId()), m -> {
      FeedBatch batch = m.body();
      GroupShard shard = shard(batch.group);
      shard.run(() -> shard.feeds.onBatch(batch));
    });
    feedConsumer = consumer;
    return consumer.completion();
  }

  public Future<Void> stop() {
    vertx.eventBus().removeOutboundInterceptor(interceptor);
    return feedConsumer == null ? Future.succeededFuture() : feedConsumer.unregister();
  }

  GroupStore store() {
    return store;
  }

  String localBusId() {
    return nodes.localBusId();
  }

  Set<String> liveNodes() {
    return liveNodes;
  }

  List<String> departed() {
    if (departed.isEmpty()) {
      return List.of();
    }
    long before = System.currentTimeMillis() - DEPARTED_KEEP_MS;
    departed.values().removeIf(at -> at < before);
    return List.copyOf(departed.keySet());
  }

  public Presence presence() {
    return presence;
  }

  private GroupShard shard(String group) {
    return shards.get(Math.floorMod(group.hashCode(), shards.size()));
  }

  // ---------------------------------------------------------------- publishing

  /**
   * Sequences, records and fans out one message. The future completes, on the caller's context,
   * once it is in the group's log; a repeat of {@code key} (non-null) is stored once and answered
   * with the first seq, marked as a duplicate. It fails with a {@link ProtocolException}:
   * {@code unavailable} when the cluster could not confirm it (safe to publish again with the key).
   */
  public Future<Ack> publish(String group, String from, Object body, String key) {
    Promise<Ack> accepted = callerPromise();
    String encoded;
    try {
      // encoded once, on the caller's event loop, so a body that cannot be encoded fails alone
      encoded = Json.encode(body);
    } catch (RuntimeException e) {
      accepted.fail(new ProtocolException(ErrorCode.BAD_REQUEST, "body is not a JSON value"));
      return accepted.future();
    }
    // the node's byte budget for publishes waiting for the cluster: past it a publish is refused at
    // once, so a flood queues nothing and costs other groups nothing
    long size = encoded.length();
    if (queuedBytes.addAndGet(size) > queuedPublishBytes) {
      queuedBytes.addAndGet(-size);
      NodeMetrics.of(vertx).error(ErrorCode.RATE_LIMITED, "limits.queuedPublishBytes reached");
      accepted.fail(new ProtocolException(ErrorCode.RATE_LIMITED,
          "this node has too many publishes waiting for the cluster; retry later"));
      return accepted.future();
    }
    accepted.future().onComplete(ar -> queuedBytes.addAndGet(-size));
    Sequencer.Pending pending = new Sequencer.Pending(new Publication(from, encoded, System.currentTimeMillis(), key),
        accepted);
    GroupShard shard = shard(group);
    shard.run(() -> shard.sequencer.enqueue(group, pending));
    return accepted.future();
  }

  /** Completes once every accepted publish is stored and fanned out (checked on each shard). */
  public Future<Void> whenIdle() {
    Promise<Void> idle = callerPromise();
    awaitIdle(idle);
    return idle.future();
  }

  private void awaitIdle(Promise<Void> idle) {
    List<Future<Boolean>> answers = new ArrayList<>();
    for (GroupShard shard : shards) {
      Promise<Boolean> p = Promise.promise();
      shard.run(() -> p.complete(shard.sequencer.idle()));
      answers.add(p.future());
    }
    Future.all(answers).onComplete(ar -> {
      if (answers.stream().allMatch(a -> Boolean.TRUE.equals(a.result()))) {
        idle.tryComplete();
      } else {
        vertx.setTimer(10, id -> awaitIdle(idle));
      }
    });
  }

  /**
   * Server code may publish on {@code group.<name>} like on any address: the message is taken out of
   * the bus on the sending node and goes through {@link #publish} instead, so it gets a seq and a
   * place in history. A request (not a plain publish) is answered with {@code {"seq":N}}.
   */
  private void interceptOutbound(DeliveryContext<Object> dc) {
    Message<Object> message = dc.message();
    String address = message.address();
    if (!address.startsWith(GroupNames.ADDRESS_PREFIX) || SEQUENCED_MARK.equals(message.headers().get(SEQUENCED_HEADER))) {
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
    if (message.headers().contains(SEQUENCED_HEADER)) {
      // counted with the node's errors (groupcast_errors_total{code="forbidden"})
      NodeMetrics.of(vertx).error(ErrorCode.FORBIDDEN, "dropped a forged delivery to " + address);
      log.warn("dropped a forged delivery to {}: only this node marks its own deliveries", address);
      return;
    }
    String from = message.headers().get(FROM_HEADER);
    publish(group, from == null || from.isBlank() ? SERVER_FROM : from, body, null).onComplete(ar -> {
      if (message.replyAddress() == null) {
        return;
      }
      if (ar.succeeded()) {
        message.reply(new JsonObject().put("seq", ar.result().seq()));
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

  // ---------------------------------------------------------------- delivering

  /**
   * Starts delivering {@code group} to {@code local}. Completes on the local hub's context with where
   * the stream stood: every later message is handed to it, in order, through {@link LocalHub#deliver}.
   */
  Future<Boundary> subscribe(String group, LocalHub local) {
    Promise<Boundary> boundary = local.context().promise();
    GroupShard shard = shard(group);
    shard.run(() -> shard.feeds.subscribe(group, local, boundary));
    return boundary.future();
  }

  void unsubscribe(String group, LocalHub local) {
    GroupShard shard = shard(group);
    shard.run(() -> shard.feeds.unsubscribe(group, local));
  }

  /**
   * Listeners of {@code group.<name>} on this node (bridge clients, server code) get the group's
   * messages, as {@code {"group","seq","from","body","ts"}}, while it is followed.
   */
  public void follow(String group) {
    GroupShard shard = shard(group);
    shard.run(() -> shard.feeds.follow(group));
  }

  public void unfollow(String group) {
    GroupShard shard = shard(group);
    shard.run(() -> shard.feeds.unfollow(group));
  }

  /** The messages after {@code since} of {@code epoch} (null: the current one), see {@link GroupStore#read}. */
  public Future<Slice> read(String group, long since, String epoch, long safeUpTo) {
    return store.read(group, since, epoch, safeUpTo);
  }

  /**
   * The same for a reader that has no feed of its own (the HTTP API): every message this node knows
   * was acknowledged (it stored or received it) is safe, the others once they are a few seconds old.
   */
  public Future<Slice> read(String group, long since, String epoch) {
    return store.read(group, since, epoch, acked.getOrDefault(group, 0L));
  }

  /** Seq {@code seq} of {@code group} is known to be acknowledged here (appended, or fanned out to here). */
  void acked(String group, long seq) {
    if (acked.size() > ACKED_KEPT) {
      acked.clear(); // forgetting costs readers a few seconds' wait, never a wrong answer
    }
    acked.merge(group, seq, Math::max);
  }

  /**
   * The groups this node follows, with the messages fanned out here since the node started and
   * when the last one was: {@code [{"group","messages","lastAt"}]}.
   */
  public Future<List<JsonObject>> groupActivity() {
    List<Future<List<JsonObject>>> perShard = new ArrayList<>();
    for (GroupShard shard : shards) {
      Promise<List<JsonObject>> p = Promise.promise();
      shard.run(() -> p.complete(shard.feeds.activity()));
      perShard.add(p.future());
    }
    return Future.all(perShard).map(all -> {
      List<JsonObject> out = new ArrayList<>();
      perShard.forEach(f -> out.addAll(f.result()));
      return out;
    });
  }

  // ---------------------------------------------------------------- the cluster changing

  /** A node joined (or came back): fan out to it again, and check every feed while things settle. */
  public void memberAdded(String busId) {
    if (busId != null) {
      departed.remove(busId);
    }
    store.clusterChanged();
    refreshMembers();
    checkSoon();
  }

  /** A node left: a message it stored may never have been fanned out; it gets no more fan-out. */
  public void memberRemoved(String busId) {
    if (busId != null) {
      departed.put(busId, System.currentTimeMillis());
    }
    refreshMembers();
    checkSoon();
  }

  /**
   * This node merged back into the cluster after a split, or partitions lost all their replicas: the
   * cluster's view of this node's subscriptions (ours and the event bus's) may be gone, so the feed
   * address is registered again and every feed checked (and re-subscribed where needed).
   */
  public void clusterRejoined() {
    store.clusterChanged();
    refreshMembers();
    if (feedConsumer != null) {
      MessageConsumer<FeedBatch> old = feedConsumer;
      old.unregister().onComplete(ar -> listen());
    }
    checkSoon();
  }

  /** The cluster's members may have changed unannounced: fan out to whoever is there now. */
  public void membersMayHaveChanged() {
    refreshMembers();
    checkSoon();
  }

  /** Partitions lost every replica: their groups restart with new epochs; feeds find out now. */
  public void partitionLost() {
    checkSoon();
  }

  private void refreshMembers() {
    liveNodes = Set.copyOf(nodes.busIds());
  }

  private void checkSoon() {
    shards.forEach(GroupShard::checkSoon);
  }

  /** A promise whose listeners run on the context of whoever called, whichever thread completes it. */
  private <T> Promise<T> callerPromise() {
    return ((ContextInternal) vertx.getOrCreateContext()).promise();
  }
}
