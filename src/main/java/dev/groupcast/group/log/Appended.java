package dev.groupcast.group.log;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;

import java.io.IOException;
import java.util.List;

/**
 * What an append did: the log's epoch, each publication's seq (negative: a duplicate of an earlier
 * message with the same key, whose seq it is) and the nodes to fan out to.
 */
public final class Appended implements LogData {

  private String epoch;
  private long[] seqs;
  private List<String> subscribers;

  public Appended() {
    // for deserialization
  }

  Appended(String epoch, long[] seqs, List<String> subscribers) {
    this.epoch = epoch;
    this.seqs = seqs;
    this.subscribers = subscribers;
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

  @Override
  public int getClassId() {
    return LogSerialization.APPENDED;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(epoch);
    out.writeLongArray(seqs);
    out.writeStringArray(subscribers.toArray(String[]::new));
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    epoch = in.readString();
    seqs = in.readLongArray();
    subscribers = List.of(in.readStringArray());
  }
}
