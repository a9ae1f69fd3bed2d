package dev.groupcast.group.log;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import java.io.IOException;
import java.util.UUID;

/** Hazelcast's factory for the logs and their processors: compact, and no reflection per object. */
public final class LogSerialization implements DataSerializableFactory {

  public static final int FACTORY_ID = 0x6763; // "gc"
  static final int GROUP_LOG = 1;
  static final int APPEND = 2;
  static final int APPENDED = 3;
  static final int READ = 4;
  static final int SLICE = 5;
  static final int SUBSCRIBE = 6;
  static final int POSITION_OP = 7;
  static final int POSITION = 8;
  static final int REPLICA_CHECK = 9;

  @Override
  public IdentifiedDataSerializable create(int typeId) {
    return switch (typeId) {
      case GROUP_LOG -> new GroupLog();
      case APPEND -> new AppendOp();
      case APPENDED -> new Appended();
      case READ -> new ReadOp();
      case SLICE -> new Slice();
      case SUBSCRIBE -> new SubscribeOp();
      case POSITION_OP -> new PositionOp();
      case POSITION -> new Position();
      case REPLICA_CHECK -> new ReplicaCheck<>();
      default -> null;
    };
  }

  /** A member's id, or null: a flag, then its two halves. */
  static void writeMember(ObjectDataOutput out, UUID member) throws IOException {
    out.writeBoolean(member != null);
    if (member != null) {
      out.writeLong(member.getMostSignificantBits());
      out.writeLong(member.getLeastSignificantBits());
    }
  }

  static UUID readMember(ObjectDataInput in) throws IOException {
    return in.readBoolean() ? new UUID(in.readLong(), in.readLong()) : null;
  }
}
