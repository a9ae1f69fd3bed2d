package dev.groupcast.group.log;

import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** What this package sends through Hazelcast: serialized by {@link LogSerialization}'s factory. */
interface LogData extends IdentifiedDataSerializable {

  @Override
  default int getFactoryId() {
    return LogSerialization.FACTORY_ID;
  }
}
