package dev.groupcast.group.log;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import com.hazelcast.spi.merge.MergingValue;

import java.util.Objects;

/**
 * How a group's log merges when a split cluster heals: the larger side's log wins (with the
 * majority's split-brain protection, the smaller side could not sequence: what it holds beyond the
 * larger side's log are appends that were never acknowledged nor delivered). A log only the smaller
 * side has is taken as it is.
 *
 * <p>Should the smaller side have acknowledged messages the larger one lacks (only possible when
 * {@code cluster.expectedSize} was set below the real cluster), dropping them would leave one seq
 * naming two messages: the merged log then gets a new epoch, so every member and resuming client is
 * told (reset, {@code recovered:false}).
 */
public final class LogMerge implements SplitBrainMergePolicy<GroupLog, MergingValue<GroupLog>, Object> {

  @Override
  public Object merge(MergingValue<GroupLog> merging, MergingValue<GroupLog> existing) {
    if (existing == null) {
      return merging.getRawValue();
    }
    GroupLog kept = existing.getValue();
    GroupLog dropped = merging.getValue();
    if (kept != null && dropped != null && !kept.epoch.equals(dropped.epoch) && kept.lastSeq == 0
        && dropped.lastSeq > 0) {
      // a log started while this one was away (nothing published to it yet): the real stream wins
      return merging.getRawValue();
    }
    if (kept == null || dropped == null || !dropsAcknowledged(kept, dropped)) {
      return existing.getRawValue();
    }
    kept.epoch = Epochs.next();
    return kept;
  }

  /** Whether {@code dropped} holds an acknowledged message that {@code kept} does not have at its seq. */
  static boolean dropsAcknowledged(GroupLog kept, GroupLog dropped) {
    if (!kept.epoch.equals(dropped.epoch) || dropped.confirmed == 0) {
      return false; // another epoch was already announced to the other side's members
    }
    if (dropped.confirmed > kept.lastSeq) {
      return true;
    }
    long first = kept.firstHeld();
    Object[] held = kept.messages.toArray();
    for (LogMessage m : dropped.messages) {
      if (m.seq() > dropped.confirmed) {
        break;
      }
      long index = m.seq() - first;
      if (index >= 0 && index < held.length) {
        LogMessage k = (LogMessage) held[(int) index];
        if (k.ts() != m.ts() || !k.from().equals(m.from()) || !k.body().equals(m.body())
            || !Objects.equals(k.key(), m.key())) {
          return true;
        }
      }
    }
    return false;
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
