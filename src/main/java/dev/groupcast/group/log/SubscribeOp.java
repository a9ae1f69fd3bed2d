package dev.groupcast.group.log;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;

import java.io.IOException;
import java.util.Map;

/**
 * Adds a node to the ones a group fans out to (creating the group's log, with a new epoch, if the
 * cluster holds none), or removes it. Atomic with appends: every append after it fans out to the
 * node, every one before it is at most the seq it returns, so the node's feed starts there and
 * misses nothing. Taking the last node off a log that never held a message frees it.
 */
public final class SubscribeOp implements EntryProcessor<String, GroupLog, Position>, LogData {

  private String busId;
  private boolean add;
  private String newEpoch;
  private boolean mayCreate;

  public SubscribeOp() {
    // for deserialization
  }

  public SubscribeOp(String busId, boolean add, String newEpoch, boolean mayCreate) {
    this.busId = busId;
    this.add = add;
    this.newEpoch = newEpoch;
    this.mayCreate = mayCreate;
  }

  @Override
  public Position process(Map.Entry<String, GroupLog> entry) {
    GroupLog log = entry.getValue();
    if (log == null) {
      if (!add || !mayCreate) {
        return Position.of(null, busId);
      }
      log = new GroupLog(newEpoch);
    }
    log.subscribe(busId, add);
    if (!add && log.subscribers.isEmpty() && log.lastSeq == 0) {
      // nobody follows it and nothing was ever published to it: nothing to keep (a client joining
      // random names costs the cluster nothing once it leaves); a later use starts a new log
      entry.setValue(null);
      return Position.of(null, busId);
    }
    entry.setValue(log);
    return Position.of(log, busId);
  }

  @Override
  public EntryProcessor<String, GroupLog, Position> getBackupProcessor() {
    return this;
  }

  @Override
  public int getClassId() {
    return LogSerialization.SUBSCRIBE;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(busId);
    out.writeBoolean(add);
    out.writeString(newEpoch);
    out.writeBoolean(mayCreate);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    busId = in.readString();
    add = in.readBoolean();
    newEpoch = in.readString();
    mayCreate = in.readBoolean();
  }
}
