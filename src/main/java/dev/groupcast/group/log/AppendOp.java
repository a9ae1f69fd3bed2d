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

/**
 * Appends a batch of publications to a group's log on the entry's owner, in one operation: the seqs,
 * the history and the duplicate check happen together, atomically. The same processor runs on the
 * backup, where it computes the same result from the same log: everything it decides comes from the
 * log and from its own fields ({@code now}, the new epoch, the batch id), never from the clock of the
 * member it runs on. A retry (Hazelcast's, after a member left, or the node's) carries the same batch
 * id and gets the first result back.
 *
 * <p>The result names the member the owner sent the backup to ({@link BackupReplica}): right after a
 * member left, a partition may have none for a while, and Hazelcast then answers at once with the
 * append on the owner alone; and when any member leaves it stops waiting for backups. The caller counts
 * the append as backed only if that member is still in its cluster and none left meanwhile
 * ({@link BackupReplica#confirmed}).
 */
public final class AppendOp implements EntryProcessor<String, GroupLog, Appended>, LogData, HazelcastInstanceAware {

  /** The publishing node (its event-bus id), whose batch ids are its own. */
  private String origin;
  private long batchId;
  /** The epoch of the log if this append creates it. */
  private String newEpoch;
  private long now;
  private LogLimits limits;
  /** The highest seq of the group the publishing node knows was acknowledged. */
  private long confirmed;
  private List<Publication> publications;
  /** Nodes that left the cluster, no longer to fan out to. */
  private List<String> departed;
  /** Whether the log may be created if the cluster holds none (see {@link GroupStore#append}). */
  private boolean mayCreate;
  /** The member this runs on, set by Hazelcast before it runs. */
  private transient HazelcastInstance hazelcast;

  public AppendOp() {
    // for deserialization
  }

  public AppendOp(String origin, long batchId, String newEpoch, long now, LogLimits limits, long confirmed,
                  List<Publication> publications, List<String> departed, boolean mayCreate) {
    this.mayCreate = mayCreate;
    this.origin = origin;
    this.batchId = batchId;
    this.newEpoch = newEpoch;
    this.now = now;
    this.limits = limits;
    this.confirmed = confirmed;
    this.publications = publications;
    this.departed = departed;
  }

  @Override
  public Appended process(Map.Entry<String, GroupLog> entry) {
    GroupLog log = entry.getValue();
    if (log == null) {
      if (!mayCreate) {
        return null; // not now: the caller knew this group, whose log may be on its way back (a merge)
      }
      log = new GroupLog(newEpoch);
    }
    long[] seqs = log.append(origin, batchId, publications, now, System.currentTimeMillis(), limits);
    log.confirmed = Math.max(log.confirmed, confirmed);
    for (String node : departed) {
      log.subscribe(node, false);
      log.batches.forget(node);
    }
    entry.setValue(log);
    return new Appended(log.epoch, seqs, List.copyOf(log.subscribers),
        BackupReplica.of(hazelcast, entry.getKey()));
  }

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcast) {
    this.hazelcast = hazelcast;
  }

  @Override
  public EntryProcessor<String, GroupLog, Appended> getBackupProcessor() {
    return this;
  }

  @Override
  public int getClassId() {
    return LogSerialization.APPEND;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(origin);
    out.writeLong(batchId);
    out.writeString(newEpoch);
    out.writeLong(now);
    limits.writeTo(out);
    out.writeLong(confirmed);
    out.writeInt(publications.size());
    for (Publication p : publications) {
      p.writeTo(out);
    }
    out.writeStringArray(departed.toArray(String[]::new));
    out.writeBoolean(mayCreate);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    origin = in.readString();
    batchId = in.readLong();
    newEpoch = in.readString();
    now = in.readLong();
    limits = LogLimits.readFrom(in);
    confirmed = in.readLong();
    int n = in.readInt();
    publications = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      publications.add(Publication.readFrom(in));
    }
    departed = List.of(in.readStringArray());
    mayCreate = in.readBoolean();
  }
}
