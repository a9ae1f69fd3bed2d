package dev.groupcast.group.log;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import dev.groupcast.config.GroupcastConfig;

import java.io.IOException;

/**
 * What one group's log may hold: {@code size} messages, none older than {@code ttlMs}, at most
 * {@code maxBytes} of them; the publish keys of the last {@code ttlMs}, at most {@code maxKeys}.
 */
public record LogLimits(int size, long ttlMs, long maxBytes, int maxKeys) {

  /** Publish keys a group remembers for duplicate detection, per message of history it keeps. */
  static final int KEYS_PER_MESSAGE = 10;
  static final int MIN_KEYS = 1000;

  public static LogLimits of(GroupcastConfig.History history) {
    return new LogLimits(history.size(), history.ttl().toMillis(), history.maxBytes(),
        Math.max(MIN_KEYS, history.size() * KEYS_PER_MESSAGE));
  }

  void writeTo(ObjectDataOutput out) throws IOException {
    out.writeInt(size);
    out.writeLong(ttlMs);
    out.writeLong(maxBytes);
    out.writeInt(maxKeys);
  }

  static LogLimits readFrom(ObjectDataInput in) throws IOException {
    return new LogLimits(in.readInt(), in.readLong(), in.readLong(), in.readInt());
  }
}
