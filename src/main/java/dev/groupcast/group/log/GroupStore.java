package dev.groupcast.group.log;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.IndeterminateOperationStateException;
import com.hazelcast.map.IMap;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionFunction;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import com.hazelcast.splitbrainprotection.impl.RecentlyActiveSplitBrainProtectionFunction;
import dev.groupcast.cluster.BackupReplica;
import dev.groupcast.cluster.ClusterFutures;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.error.ErrorCode;
import dev.groupcast.error.ProtocolException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The groups' logs in the cluster: one entry per group in the map {@value #MAP} (synchronous
 * backup, split-brain protection with a majority of {@code cluster.expectedSize}, objects kept
 * deserialized so an append neither re-serializes the history nor ships it to the backup), changed
 * only by the processors of this package. Every call is asynchronous; its future completes on the
 * caller's context.
 *
 * <p>Failures come back as {@link ProtocolException}s: {@code unavailable} when the node cannot
 * reach a majority, or cannot know whether an append was stored (a member left meanwhile); the
 * append is then safe to retry with the same keys.
 */
public final class GroupStore {

  public static final String MAP = "gc.groups";
  public static final String QUORUM = "gc-majority";
  /** Where the configuration keeps the majority's function, for {@link #majorityReachable}. */
  static final String HEARD = "groupcast.majority";
  /**
   * A member counts for the majority while its heartbeats (every second) are at most this old: a
   * node cut off from the others stops sequencing within this, well before Hazelcast removes them
   * (5 s), which a pause or a partition must outlast.
   */
  static final int QUORUM_TOLERANCE_MS = 2500;
  /** Reads withhold messages younger than this unless known to be acknowledged (see {@link ReadOp}). */
  public static final long YOUNG_MS = QUORUM_TOLERANCE_MS + 500;
  /** How long an append whose outcome is unknown is tried again: past a dead member's removal (5 s). */
  static final long APPEND_RETRY_MS = 8000;
  /** How long reads and subscriptions wait for a missing majority to come back. */
  static final long MAJORITY_PATIENCE_MS = 3000;
  /**
   * How long an operation waits for its backup's acknowledgement (Hazelcast's default is 5 s) before
   * Hazelcast answers it as done anyway. An append that came back sooner than this was applied on its
   * backup too; one that took longer may exist on its owner only (a frozen or cut-off backup), and
   * the owner may be the side a merge drops, so it is not acknowledged but sent again.
   */
  static final long BACKUP_TIMEOUT_MS = 2000;
  /**
   * How soon an append is sent again whose answer came in time but from a partition without a
   * trustworthy backup (see {@link BackupReplica#confirmed}): right after a member left, until the
   * master has assigned the lost backups again. One cheap operation per waiting batch each time.
   */
  static final long BACKUP_PENDING_RETRY_MS = 50;
  /** Appends slower than this count as possibly unbacked (scheduling slack under the timeout). */
  static final long BACKED_WITHIN_MS = BACKUP_TIMEOUT_MS - 200;

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final SplitBrainProtectionFunction heard;
  private final IMap<String, GroupLog> logs;
  private final LogLimits limits;
  private final int quorum;
  private final KnownLogs known = new KnownLogs();

  public GroupStore(Vertx vertx, HazelcastInstance hazelcast, GroupcastConfig config) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.heard = (SplitBrainProtectionFunction) hazelcast.getUserContext().get(HEARD);
    this.logs = hazelcast.getMap(MAP);
    this.limits = LogLimits.of(config.history());
    this.quorum = config.cluster().quorum();
  }

  /** What every member needs in its Hazelcast configuration before it starts. */
  public static void configure(Config hz, GroupcastConfig config) {
    GroupcastConfig.Cluster cluster = config.cluster();
    hz.getSerializationConfig().addDataSerializableFactory(LogSerialization.FACTORY_ID, new LogSerialization());
    // a majority of recently heard members; the same function answers this node's own check after an
    // append (majorityReachable), computed then rather than from the protection's last evaluation
    RecentlyActiveSplitBrainProtectionFunction heard = new GatewayMajority(cluster.quorum(), QUORUM_TOLERANCE_MS);
    hz.getUserContext().put(HEARD, heard);
    hz.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(QUORUM, true, cluster.quorum())
        .setFunctionImplementation(heard).setProtectOn(SplitBrainProtectionOn.READ_WRITE));
    hz.addMapConfig(new MapConfig(MAP)
        .setBackupCount(1)
        .setAsyncBackupCount(0)
        .setInMemoryFormat(InMemoryFormat.OBJECT)
        // a group nobody reads or writes for a history.ttl has nothing left to replay: freed; its next
        // use starts a new epoch (the members' feeds touch it while they exist)
        .setMaxIdleSeconds((int) Math.min(Integer.MAX_VALUE, Math.max(1, config.history().ttl().toSeconds())))
        // bounded: at most history.maxGroups logs per node; past it the least recently used is freed
        // (its group's next use starts a new epoch, so nothing wrong is ever replayed)
        // Hazelcast counts a node's owned entries only: half the bound, so that what it owns plus
        // the backups it holds for others stays within history.maxGroups
        .setEvictionConfig(new EvictionConfig().setEvictionPolicy(EvictionPolicy.LRU)
            .setMaxSizePolicy(MaxSizePolicy.PER_NODE).setSize(Math.max(1, config.history().maxGroups() / 2)))
        .setSplitBrainProtectionName(QUORUM)
        .setMergePolicyConfig(new MergePolicyConfig(LogMerge.class.getName(), MergePolicyConfig.DEFAULT_BATCH_SIZE)));
    hz.setProperty("hazelcast.operation.backup.timeout.millis", String.valueOf(BACKUP_TIMEOUT_MS));
    // a healed partition merges within seconds, not Hazelcast's default 5 minutes
    hz.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    hz.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
  }

  public LogLimits limits() {
    return limits;
  }

  /**
   * Appends a batch. When the outcome is unknown (the owner died or left while storing it, a backup
   * did not answer) the same batch is sent again, for up to {@link #APPEND_RETRY_MS}, which covers the
   * cluster noticing a dead member and promoting its backups: the log answers a batch id it has
   * seen with its first result, so however often it is sent, it is stored once. Past that, or when
   * this node cannot reach a majority, it fails with {@code unavailable}.
   */
  public Future<Appended> append(String group, String origin, long batchId, List<Publication> publications,
                                 long confirmed, List<String> departed) {
    Promise<Appended> result = ((ContextInternal) vertx.getOrCreateContext()).promise();
    appendAttempt(group, origin, batchId, publications, confirmed, departed, System.currentTimeMillis(), 1, result);
    return result.future();
  }

  private void appendAttempt(String group, String origin, long batchId, List<Publication> publications, long confirmed,
                             List<String> departed, long firstAt, int attempt, Promise<Appended> result) {
    long now = System.currentTimeMillis();
    Set<Member> members = BackupReplica.members(hazelcast);
    AppendOp op = new AppendOp(origin, batchId, Epochs.next(), now, limits, confirmed, publications, departed,
        known.mayCreate(group, now));
    CompletionStage<Appended> stage;
    try {
      stage = logs.submitToKey(group, op);
    } catch (RuntimeException e) {
      stage = java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    ClusterFutures.on(vertx.getOrCreateContext(), stage).onComplete(ar -> {
      boolean missing = ar.succeeded() && ar.result() == null;
      // backed: its backup's acknowledgement came back in time, from a backup there was (see BackupReplica)
      boolean inTime = backedSince(now);
      boolean backupUnsure = ar.succeeded() && !missing
          && !BackupReplica.confirmed(hazelcast, ar.result().backup(), members);
      boolean backed = inTime && !backupUnsure;
      if (missing) {
        known.missing(group, System.currentTimeMillis());
      } else if (ar.succeeded()) {
        known.present(group);
        if (backed && majorityReachable()) {
          result.complete(ar.result());
          return;
        }
      }
      Throwable cause = missing ? new IndeterminateOperationStateException("the group's log is missing for now")
          : ar.succeeded() && !backed ? new IndeterminateOperationStateException("the backup may not hold it")
          : ar.succeeded() ? new IndeterminateOperationStateException("the majority was lost meanwhile")
          : unwrap(ar.cause());
      long elapsed = System.currentTimeMillis() - firstAt;
      // just after this process stood still the answer is not trusted yet: wait that out, then ask again
      // and a log known here but missing for now (a merge on its way) is waited for until it may be created
      boolean waitOut = (Stalls.recent() && elapsed < APPEND_RETRY_MS + Stalls.SUSPECT_MS)
          || (missing && elapsed < KnownLogs.RECREATE_AFTER_MS + APPEND_RETRY_MS);
      // a majority missing is tried again too, for as long as an unknown outcome: heartbeats late by a
      // second (a node restarting beside this one on a busy machine) must not fail a publish; a node
      // really cut off answers unavailable once the retries are over
      if (!waitOut && (cause instanceof HazelcastInstanceNotActiveException || elapsed >= APPEND_RETRY_MS)) {
        result.fail(failure(cause, true));
        return;
      }
      // an answer in time whose backup cannot be trusted (none assigned yet, a member left meanwhile): the
      // cluster is assigning backups again, a second or so, so it is asked again soon rather than backed off
      long delay = inTime && backupUnsure ? BACKUP_PENDING_RETRY_MS : Math.min(1000, 50L << Math.min(attempt, 5));
      vertx.setTimer(delay, id -> appendAttempt(group, origin, batchId, publications, confirmed, departed, firstAt,
          attempt + 1, result));
    });
  }

  /**
   * The messages after {@code since} (in {@code epoch}, if given); see {@link ReadOp} for
   * {@code safeUpTo}. An answer counts only when its backup acknowledged it in time and this node
   * still hears a majority afterwards (see {@link ReadOp}): otherwise it is asked again, for up to
   * {@link #MAJORITY_PATIENCE_MS}, then refused ({@code unavailable}). Refused at once just after this
   * process stood still, when its own copies may hold appends the cluster never confirmed.
   */
  public Future<Slice> read(String group, long since, String epoch, long safeUpTo) {
    Promise<Slice> result = ((ContextInternal) vertx.getOrCreateContext()).promise();
    readAttempt(group, new ReadOp(since, epoch, limits.size(), safeUpTo, YOUNG_MS), System.currentTimeMillis(), result);
    return result.future();
  }

  private void readAttempt(String group, ReadOp op, long firstAt, Promise<Slice> result) {
    if (Stalls.recent()) {
      result.fail(new ProtocolException(ErrorCode.UNAVAILABLE,
          "this node has just been standing still: retry in a few seconds"));
      return;
    }
    // when the answer that came back was asked for, and the members then: patiently() asks again while
    // the majority is missing
    AtomicReference<Asked> asked = new AtomicReference<>();
    patiently(() -> {
      asked.set(new Asked(System.currentTimeMillis(), BackupReplica.members(hazelcast)));
      return logs.submitToKey(group, op);
    }, System.currentTimeMillis()).onComplete(ar -> {
      if (ar.failed()) {
        result.fail(ar.cause());
      } else if (backedSince(asked.get().at())
          && BackupReplica.confirmed(hazelcast, ar.result().backup(), asked.get().members()) && majorityReachable()) {
        result.complete(ar.result());
      } else if (System.currentTimeMillis() - firstAt < MAJORITY_PATIENCE_MS) {
        vertx.setTimer(250, id -> readAttempt(group, op, firstAt, result));
      } else {
        result.fail(new ProtocolException(ErrorCode.UNAVAILABLE,
            "the cluster could not confirm the group's history: retry in a few seconds"));
      }
    });
  }

  /** When an operation was sent, and the cluster's members then (see {@link BackupReplica#confirmed}). */
  private record Asked(long at, Set<Member> members) {
  }

  /**
   * Adds this node ({@code busId}) to the group's fan-out, or takes it off. Adding creates the
   * group's log if the cluster holds none; for a log this node knew, only once it has been missing for
   * a while ({@link KnownLogs}): until then the call waits, so a feed never starts on an epoch a merge
   * is about to replace.
   */
  public Future<Position> subscribe(String group, String busId, boolean add) {
    if (!add) {
      return call(logs.submitToKey(group, new SubscribeOp(busId, false, null, false)), false)
          .onSuccess(p -> {
            if (p.epoch() == null) {
              known.forget(group); // freed (never used): the next use creates it at once
            }
          });
    }
    Promise<Position> result = ((ContextInternal) vertx.getOrCreateContext()).promise();
    subscribeAttempt(group, busId, result);
    return result.future();
  }

  private void subscribeAttempt(String group, String busId, Promise<Position> result) {
    long now = System.currentTimeMillis();
    Future<Position> attempt;
    try {
      attempt = patiently(() -> logs.submitToKey(group, new SubscribeOp(busId, true, Epochs.next(),
          known.mayCreate(group, System.currentTimeMillis()))), now);
    } catch (RuntimeException e) {
      attempt = Future.failedFuture(failure(e, false));
    }
    attempt.onComplete(ar -> {
      if (ar.failed()) {
        result.fail(ar.cause());
      } else if (ar.result().epoch() == null) {
        known.missing(group, System.currentTimeMillis());
        vertx.setTimer(500, id -> subscribeAttempt(group, busId, result));
      } else {
        known.present(group);
        result.complete(ar.result());
      }
    });
  }

  /** The cluster changed (members joined, a merge): logs missing until now may come back with it. */
  public void clusterChanged() {
    known.clusterChanged(System.currentTimeMillis());
  }

  /**
   * Where {@code group} stands, and whether this node ({@code busId}) is in its fan-out. One
   * operation per group, on its partition: Hazelcast's call for many keys at once waits, on the
   * calling thread, for every partition to have an owner, which during a member's loss takes seconds,
   * and an event loop must not wait.
   */
  public Future<Position> position(String group, String busId) {
    return this.<Position>call(logs.submitToKey(group, new PositionOp(busId)), false).onSuccess(p -> {
      if (p.epoch() == null) {
        known.missing(group, System.currentTimeMillis());
      } else {
        known.present(group);
      }
    });
  }

  /**
   * A read or a subscription, asked again while the majority is missing, for up to
   * {@link #MAJORITY_PATIENCE_MS}: a heartbeat late by a second must not fail a client's join.
   */
  private <T> Future<T> patiently(java.util.function.Supplier<CompletionStage<T>> op, long firstAt) {
    CompletionStage<T> stage;
    try {
      stage = op.get();
    } catch (RuntimeException e) {
      stage = java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    return ClusterFutures.on(vertx.getOrCreateContext(), stage).recover(e -> {
      if (unwrap(e) instanceof SplitBrainProtectionException
          && System.currentTimeMillis() - firstAt < MAJORITY_PATIENCE_MS) {
        Promise<T> again = ((ContextInternal) vertx.getOrCreateContext()).promise();
        vertx.setTimer(250, id -> patiently(op, firstAt).onComplete(again));
        return again.future();
      }
      return Future.failedFuture(failure(e, false));
    });
  }

  private <T> Future<T> call(CompletionStage<T> stage, boolean append) {
    return ClusterFutures.on(vertx.getOrCreateContext(), stage)
        .recover(e -> Future.failedFuture(failure(e, append)));
  }

  /**
   * Whether this node still reaches a majority now that an append came back. Hazelcast answers an
   * append whose backup did not acknowledge it in time (the backup's member cut off or frozen) as
   * done: when that happens on a node that is itself cut off, by then it has lost the majority (the
   * split-brain protection notices within {@link #QUORUM_TOLERANCE_MS}, before the backup's timeout),
   * and the append may be dropped at the heal. So it is not acknowledged: tried again, and answered
   * {@code unavailable} once the majority refuses it. Right after this process stood still (a
   * SIGSTOP, a long pause) that view is stale, so nothing counts as confirmed then ({@link Stalls}).
   * (Hazelcast's own
   * {@code fail.on.indeterminate.state} would say the same, but for every operation of every
   * structure, and fails Vert.x's own registrations during a cluster's formation.)
   */
  private boolean majorityReachable() {
    if (Stalls.recent()) {
      return false; // the process stood still: the protection's view of the majority is stale
    }
    try {
      // computed now: the protection itself re-evaluates on heartbeats, and none come when cut off
      return heard == null ? hazelcast.getSplitBrainProtectionService().getSplitBrainProtection(QUORUM).hasMinimumSize()
          : heard.apply(hazelcast.getCluster().getMembers());
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether an operation sent at {@code sentAt} (ms) came back soon enough that its backup acknowledged
   * it: past {@link #BACKED_WITHIN_MS}, Hazelcast may have answered it after the backup timeout.
   */
  private static boolean backedSince(long sentAt) {
    return System.currentTimeMillis() - sentAt < BACKED_WITHIN_MS;
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  /** A failure as clients hear it. An append whose outcome is unknown is never "not stored". */
  ProtocolException failure(Throwable e, boolean append) {
    Throwable cause = unwrap(e);
    if (cause instanceof SplitBrainProtectionException) {
      return new ProtocolException(ErrorCode.UNAVAILABLE, "this node cannot reach a majority of the cluster ("
          + quorum + " members): connect to another node or retry");
    }
    if (cause instanceof IndeterminateOperationStateException || append) {
      return new ProtocolException(ErrorCode.UNAVAILABLE,
          "the cluster could not confirm the publish: publish it again with the same key");
    }
    if (cause instanceof HazelcastInstanceNotActiveException) {
      return new ProtocolException(ErrorCode.UNAVAILABLE, "this node is leaving the cluster: connect to another node");
    }
    return new ProtocolException(ErrorCode.UNAVAILABLE, "the cluster could not serve the request: retry");
  }
}
