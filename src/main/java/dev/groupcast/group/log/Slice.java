package dev.groupcast.group.log;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A read of a log: its epoch (null: the group holds no state), its last seq, whether it still held
 * everything asked for ({@code recovered}), the messages, in seq order, and whether more were there
 * but held back ({@code withheld}: too recent to be sure of, or past the limit), and the member the
 * owner sent the read's backup check to (see {@link ReadOp}).
 */
public final class Slice implements LogData {

  private String epoch;
  private long lastSeq;
  private boolean recovered;
  private List<LogMessage> messages;
  private boolean withheld;
  /** The backup's member as the owner saw it ({@link dev.groupcast.cluster.BackupReplica#of}). */
  private UUID backup;

  public Slice() {
    // for deserialization
  }

  Slice(String epoch, long lastSeq, boolean recovered, List<LogMessage> messages, boolean withheld,
        UUID backup) {
    this.epoch = epoch;
    this.lastSeq = lastSeq;
    this.recovered = recovered;
    this.messages = messages;
    this.withheld = withheld;
    this.backup = backup;
  }

  public String epoch() {
    return epoch;
  }

  public long lastSeq() {
    return lastSeq;
  }

  public boolean recovered() {
    return recovered;
  }

  public List<LogMessage> messages() {
    return messages;
  }

  public boolean withheld() {
    return withheld;
  }

  UUID backup() {
    return backup;
  }

  @Override
  public int getClassId() {
    return LogSerialization.SLICE;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(epoch);
    out.writeLong(lastSeq);
    out.writeBoolean(recovered);
    out.writeBoolean(withheld);
    LogSerialization.writeMember(out, backup);
    out.writeInt(messages.size());
    for (LogMessage m : messages) {
      m.writeTo(out);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    epoch = in.readString();
    lastSeq = in.readLong();
    recovered = in.readBoolean();
    withheld = in.readBoolean();
    backup = LogSerialization.readMember(in);
    int n = in.readInt();
    messages = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      messages.add(LogMessage.readFrom(in));
    }
  }
}
