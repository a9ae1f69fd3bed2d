package dev.groupcast.group.log;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;

import java.io.IOException;
import java.util.List;
import java.util.UUID;

/**
 * What an append did: the log's epoch, each publication's seq (negative: a duplicate of an earlier
 * message with the same key, whose seq it is), the nodes to fan out to, and the member the owner sent
 * its backup to (see {@link AppendOp}).
 */
public final class Appended implements LogData {

  private String epoch;
  private long[] seqs;
  private List<String> subscribers;
  /** The backup's member as the owner saw it ({@link dev.groupcast.cluster.BackupReplica#of}). */
  private UUID backup;

  public Appended() {
    // for deserialization
  }

  Appended(String epoch, long[] seqs, List<String> subscribers, UUID backup) {
    this.epoch = epoch;
    this.seqs = seqs;
    this.subscribers = subscribers;
    this.backup = backup;
  }

  public String epoch() {
    return epoch;
  }

  /** The seq of publication i, duplicate or not. */
  public long seq(int i) {
    return Math.abs(seqs[i]);
  }

  public boolean duplicate(int i) {
    return seqs[i] < 0;
  }

  public int size() {
    return seqs.length;
  }

  public List<String> subscribers() {
    return subscribers;
  }

  UUID backup() {
    return backup;
  }

  @Override
  public int getClassId() {
    return LogSerialization.APPENDED;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(epoch);
    out.writeLongArray(seqs);
    out.writeStringArray(subscribers.toArray(String[]::new));
    LogSerialization.writeMember(out, backup);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    epoch = in.readString();
    seqs = in.readLongArray();
    subscribers = List.of(in.readStringArray());
    backup = LogSerialization.readMember(in);
  }
}
