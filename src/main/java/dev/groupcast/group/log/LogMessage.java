package dev.groupcast.group.log;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;

import java.io.IOException;

/**
 * One message as a group's log keeps it: its seq, who published it ({@code from}), its body as JSON
 * text (encoded once by the publishing node, never parsed again on the way to members), when the
 * publishing node accepted it ({@code ts}), when the log's owner stored it ({@code at}, the owner's
 * clock: see {@link ReadOp}) and the client's publish key, if any.
 */
public record LogMessage(long seq, long ts, long at, String from, String body, String key) {

  /** What a message costs in the log's byte budget: its text and a fixed overhead. */
  long bytes() {
    return 48L + 2L * (from.length() + body.length() + (key == null ? 0 : key.length()));
  }

  void writeTo(ObjectDataOutput out) throws IOException {
    out.writeLong(seq);
    out.writeLong(ts);
    out.writeLong(at);
    out.writeString(from);
    out.writeString(body);
    out.writeString(key);
  }

  static LogMessage readFrom(ObjectDataInput in) throws IOException {
    return new LogMessage(in.readLong(), in.readLong(), in.readLong(), in.readString(), in.readString(), in.readString());
  }
}
