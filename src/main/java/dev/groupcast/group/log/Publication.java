package dev.groupcast.group.log;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;

import java.io.IOException;

/** A message on its way into a log: everything but its seq, which the append assigns. */
public record Publication(String from, String body, long ts, String key) {

  void writeTo(ObjectDataOutput out) throws IOException {
    out.writeString(from);
    out.writeString(body);
    out.writeLong(ts);
    out.writeString(key);
  }

  static Publication readFrom(ObjectDataInput in) throws IOException {
    return new Publication(in.readString(), in.readString(), in.readLong(), in.readString());
  }
}
