package dev.groupcast.group.log;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;

import java.io.IOException;

/**
 * Where a group's stream is: its epoch (null when the cluster holds nothing of the group), its last
 * seq, and whether the asking node is among those it fans out to.
 */
public final class Position implements LogData {

  private String epoch;
  private long lastSeq;
  private boolean subscribed;

  public Position() {
    // for deserialization
  }

  Position(String epoch, long lastSeq, boolean subscribed) {
    this.epoch = epoch;
    this.lastSeq = lastSeq;
    this.subscribed = subscribed;
  }

  static Position of(GroupLog log, String busId) {
    return log == null ? new Position(null, 0, false) : new Position(log.epoch, log.lastSeq, log.subscribers.contains(busId));
  }

  public String epoch() {
    return epoch;
  }

  public long lastSeq() {
    return lastSeq;
  }

  public boolean subscribed() {
    return subscribed;
  }

  @Override
  public int getClassId() {
    return LogSerialization.POSITION;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(epoch);
    out.writeLong(lastSeq);
    out.writeBoolean(subscribed);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    epoch = in.readString();
    lastSeq = in.readLong();
    subscribed = in.readBoolean();
  }
}
