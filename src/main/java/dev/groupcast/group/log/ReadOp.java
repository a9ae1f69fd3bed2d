package dev.groupcast.group.log;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import dev.groupcast.cluster.BackupReplica;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Reads the messages after {@code since} on the entry's owner, without changing anything.
 *
 * <p>A read never hands out a message that may not be replicated. An owner cut off from the
 * others keeps serving until its split-brain protection notices (a heartbeat tolerance), and an append
 * it took in that time may exist on it alone: it was never acknowledged nor fanned out, and the
 * majority will give its seq to another message. So messages stored less than {@code minAgeMs} ago
 * are withheld, unless their seq is at most {@code safeUpTo}, a seq the reader knows was
 * acknowledged (it reached it through fan-out, which follows a successful append): those reach the
 * reader live, or at its next read.
 *
 * <p>Age alone is not enough: an owner whose own messages stop reaching the others (its writes stuck,
 * while it still hears them) keeps the majority in its own eyes for as long as the others take to drop
 * it and then a heartbeat tolerance, about 8 s, and an append it took then never reached the backup.
 * So a read is not read-only: it runs {@link ReplicaCheck} on the backup, and {@link GroupStore#read}
 * trusts only an answer whose backup acknowledged it in time, which proves the backup holds everything
 * the answer holds. That proves it only when there was a backup to acknowledge, and it did: right after
 * a member left, a partition may have none for a while, and when any member leaves Hazelcast stops waiting
 * for backups; so the answer names the backup's member ({@link BackupReplica#confirmed}).
 */
public final class ReadOp implements EntryProcessor<String, GroupLog, Slice>, LogData, HazelcastInstanceAware {

  private long since;
  /** The epoch {@code since} belongs to; null: whatever the log's. */
  private String epoch;
  private int limit;
  private long safeUpTo;
  private long minAgeMs;
  /** The member this runs on, set by Hazelcast before it runs. */
  private transient HazelcastInstance hazelcast;

  public ReadOp() {
    // for deserialization
  }

  public ReadOp(long since, String epoch, int limit, long safeUpTo, long minAgeMs) {
    this.since = since;
    this.epoch = epoch;
    this.limit = limit;
    this.safeUpTo = safeUpTo;
    this.minAgeMs = minAgeMs;
  }

  @Override
  public Slice process(Map.Entry<String, GroupLog> entry) {
    GroupLog log = entry.getValue();
    UUID backup = BackupReplica.of(hazelcast, entry.getKey());
    if (log == null) {
      return new Slice(null, 0, since == 0 && epoch == null, List.of(), false, backup);
    }
    if ((epoch != null && !epoch.equals(log.epoch)) || since > log.lastSeq) {
      // a position in a stream this cluster no longer has: nothing of it can be replayed
      return new Slice(log.epoch, log.lastSeq, false, List.of(), false, backup);
    }
    boolean recovered = since + 1 >= log.firstHeld();
    long youngFrom = System.currentTimeMillis() - minAgeMs; // the owner's clock, as the messages' `at`
    List<LogMessage> out = new ArrayList<>();
    boolean withheld = false;
    for (LogMessage m : log.messages) {
      if (m.seq() <= since) {
        continue;
      }
      if (m.seq() > safeUpTo && m.at() > youngFrom) {
        withheld = true;
        break;
      }
      if (out.size() >= limit) {
        withheld = true;
        break;
      }
      out.add(m);
    }
    return new Slice(log.epoch, log.lastSeq, recovered, out, withheld, backup);
  }

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcast) {
    this.hazelcast = hazelcast;
  }

  @Override
  public EntryProcessor<String, GroupLog, Slice> getBackupProcessor() {
    return new ReplicaCheck<>();
  }

  @Override
  public int getClassId() {
    return LogSerialization.READ;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(since);
    out.writeString(epoch);
    out.writeInt(limit);
    out.writeLong(safeUpTo);
    out.writeLong(minAgeMs);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    since = in.readLong();
    epoch = in.readString();
    limit = in.readInt();
    safeUpTo = in.readLong();
    minAgeMs = in.readLong();
  }
}
