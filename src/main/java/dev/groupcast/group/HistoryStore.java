package dev.groupcast.group;

import com.hazelcast.config.RingbufferConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.ringbuffer.OverflowPolicy;
import com.hazelcast.ringbuffer.ReadResultSet;
import com.hazelcast.ringbuffer.Ringbuffer;
import dev.groupcast.config.GroupcastConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * Each group's sequence and history in one Hazelcast Ringbuffer: appending assigns the sequence and
 * records the message in the same cluster round trip (seq = ringbuffer sequence + 1), and the
 * ringbuffer's capacity and time-to-live are {@code history.size} and {@code history.ttl}. A backup
 * copy lives on another member, so sequence and history survive the loss of a node.
 */
public final class HistoryStore {

  static final String RINGBUFFER_PREFIX = "gc.history.";
  /** Hazelcast reads at most this many items per call. */
  private static final int READ_BATCH = 1000;

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final int readBatch;

  public HistoryStore(Vertx vertx, HazelcastInstance hazelcast, GroupcastConfig.History config) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.readBatch = Math.min(READ_BATCH, config.size());
  }

  /** The ringbuffer settings every member must have, added to the Hazelcast config before it starts. */
  public static RingbufferConfig ringbufferConfig(GroupcastConfig.History config) {
    long ttlSeconds = Math.max(1, (config.ttl().toMillis() + 999) / 1000);
    return new RingbufferConfig(RINGBUFFER_PREFIX + "*")
        .setCapacity(config.size())
        .setTimeToLiveSeconds((int) Math.min(Integer.MAX_VALUE, ttlSeconds))
        .setBackupCount(1)
        .setAsyncBackupCount(0);
  }

  /**
   * Appends entries (see {@link #entry}) in one round trip; they get consecutive sequence numbers.
   * Completes on the caller's context with the seq of the last entry.
   */
  public Future<Long> append(String group, List<String> entries) {
    Ringbuffer<String> rb = ringbuffer(group);
    CompletionStage<Long> added = entries.size() == 1
        ? rb.addAsync(entries.get(0), OverflowPolicy.OVERWRITE)
        : rb.addAllAsync(entries, OverflowPolicy.OVERWRITE);
    return Future.fromCompletionStage(added, vertx.getOrCreateContext()).map(last -> last + 1);
  }

  /** What the history holds of a message, without its seq, which the ringbuffer position gives. */
  public static String entry(String from, Object body, long ts) {
    return new JsonObject().put("from", from).put("ts", ts).put("body", body).encode();
  }

  /** The latest seq of the group, 0 when nothing was ever published. */
  public Future<Long> latest(String group) {
    return vertx.executeBlocking(() -> ringbuffer(group).tailSequence() + 1, false);
  }

  /** Every message with seq greater than {@code since} still held. */
  public Future<HistoryRead> read(String group, long since) {
    return read(group, since, Long.MAX_VALUE);
  }

  /**
   * The messages with {@code since < seq <= until} still held, in order. {@code recovered} is false
   * when some of them are gone already (trimmed by size or expired), or when {@code since} lies beyond
   * the group's latest seq (the client's position belongs to a history this cluster no longer has).
   */
  public Future<HistoryRead> read(String group, long since, long until) {
    return vertx.executeBlocking(() -> readBlocking(group, since, until), false);
  }

  private HistoryRead readBlocking(String group, long since, long until)
      throws InterruptedException, ExecutionException {
    Ringbuffer<String> rb = ringbuffer(group);
    long tail = rb.tailSequence();
    long latest = tail + 1;
    if (since > latest) {
      return new HistoryRead(latest, false, List.of());
    }
    long lastWanted = Math.min(tail, until - 1);
    long next = since; // ringbuffer sequence of message seq since+1
    boolean recovered = true;
    List<GroupMessage> messages = new ArrayList<>();
    while (next <= lastWanted) {
      int count = (int) Math.min(readBatch, lastWanted - next + 1);
      ReadResultSet<String> rs = rb.readManyAsync(next, 0, count, null).toCompletableFuture().get();
      if (rs.size() == 0) {
        recovered = false; // everything from `next` on expired while we read
        break;
      }
      if (rs.getSequence(0) != next) {
        recovered = false;
      }
      for (int i = 0; i < rs.size(); i++) {
        long rbSeq = rs.getSequence(i);
        if (rbSeq > lastWanted) {
          break;
        }
        messages.add(decode(group, rbSeq + 1, rs.get(i)));
      }
      next = rs.getSequence(rs.size() - 1) + 1;
    }
    return new HistoryRead(latest, recovered, messages);
  }

  private static GroupMessage decode(String group, long seq, String entry) {
    JsonObject json = new JsonObject(entry);
    return new GroupMessage(group, seq, json.getString("from"), json.getValue("body"), json.getLong("ts"));
  }

  private Ringbuffer<String> ringbuffer(String group) {
    return hazelcast.getRingbuffer(RINGBUFFER_PREFIX + group);
  }

  /** Result of a history read. */
  public record HistoryRead(long latest, boolean recovered, List<GroupMessage> messages) {
  }
}
