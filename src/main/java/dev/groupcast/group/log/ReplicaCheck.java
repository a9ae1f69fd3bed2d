package dev.groupcast.group.log;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;

import java.util.Map;

/**
 * What a read runs on the group's backup: nothing. Its acknowledgement is the point. The owner sends
 * a partition's backups in order over one connection and the backup applies them in order, so a read
 * whose backup was acknowledged in time found nothing on the owner that the backup lacks: every message
 * it hands out survives the owner's loss or a merge that drops the owner's side. One gap remains:
 * Hazelcast applies and acknowledges a backup that arrives after earlier ones were lost with a reset
 * connection, and only schedules a replica sync, so an append lost that way (never acknowledged to
 * its publisher) can be read before the sync and be gone if the owner dies before it.
 */
public final class ReplicaCheck<R> implements EntryProcessor<String, GroupLog, R>, LogData {

  @Override
  public R process(Map.Entry<String, GroupLog> entry) {
    return null;
  }

  @Override
  public int getClassId() {
    return LogSerialization.REPLICA_CHECK;
  }

  @Override
  public void writeData(ObjectDataOutput out) {
    // no state
  }

  @Override
  public void readData(ObjectDataInput in) {
    // no state
  }
}
