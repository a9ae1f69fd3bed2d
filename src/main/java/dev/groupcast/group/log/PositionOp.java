package dev.groupcast.group.log;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;

import java.io.IOException;
import java.util.Map;

/** Where each of a node's groups stands, for its periodic check (one call for all its groups). */
public final class PositionOp implements EntryProcessor<String, GroupLog, Position>, ReadOnly, LogData {

  private String busId;

  public PositionOp() {
    // for deserialization
  }

  public PositionOp(String busId) {
    this.busId = busId;
  }

  @Override
  public Position process(Map.Entry<String, GroupLog> entry) {
    return Position.of(entry.getValue(), busId);
  }

  @Override
  public EntryProcessor<String, GroupLog, Position> getBackupProcessor() {
    return null;
  }

  @Override
  public int getClassId() {
    return LogSerialization.POSITION_OP;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(busId);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    busId = in.readString();
  }
}
