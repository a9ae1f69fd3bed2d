package dev.groupcast.group.log;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One group's stream as the cluster keeps it, the value of its entry in the groups map: the epoch
 * (which changes whenever the sequence could restart: a new entry gets a new one), the last seq
 * given out, the recent messages (a seq-contiguous tail bounded by {@link LogLimits}), the recent
 * publish keys (a repeat is a duplicate, not a new message), the recent batch ids (a retried append
 * is answered like the first one) and the nodes with members, to which appends fan out.
 *
 * <p>Changed only by the processors in this package, on the entry's partition thread, primary and
 * backup alike: every change is a function of the log and the processor, so both copies stay equal.
 */
public final class GroupLog implements LogData {

  String epoch;
  long lastSeq;
  /** The highest seq a publishing node reported as acknowledged (see {@link LogMerge}). */
  long confirmed;
  final ArrayDeque<LogMessage> messages = new ArrayDeque<>();
  long bytes;
  /** Publish key -> {seq, ts}, oldest first. */
  final LinkedHashMap<String, long[]> keys = new LinkedHashMap<>();
  /** Each publishing node's last batches: id -> the seqs it got (negative: a duplicate of that seq). */
  final RecentBatches batches = new RecentBatches();
  /** Event-bus node ids of the nodes with members of the group. */
  final List<String> subscribers = new ArrayList<>(2);

  public GroupLog() {
    // for deserialization
  }

  GroupLog(String epoch) {
    this.epoch = epoch;
  }

  public String epoch() {
    return epoch;
  }

  public long lastSeq() {
    return lastSeq;
  }

  /** The lowest seq still held, or lastSeq + 1 when none is. */
  long firstHeld() {
    LogMessage first = messages.peekFirst();
    return first == null ? lastSeq + 1 : first.seq();
  }

  /**
   * Appends {@code publications} in order: each gets the next seq, unless its key was published in
   * the last {@code ttl}, in which case it gets that message's seq again, marked as a duplicate
   * (negative). A batch id that {@code origin} (the publishing node) sent before returns its first
   * result unchanged.
   */
  long[] append(String origin, long batchId, List<Publication> publications, long now, long at, LogLimits limits) {
    long[] known = batches.get(origin, batchId);
    if (known != null) {
      return known;
    }
    expireKeys(now, limits);
    long[] seqs = new long[publications.size()];
    for (int i = 0; i < seqs.length; i++) {
      Publication p = publications.get(i);
      long[] earlier = p.key() == null ? null : keys.get(p.key());
      if (earlier != null) {
        seqs[i] = -earlier[0];
        continue;
      }
      long seq = ++lastSeq;
      LogMessage m = new LogMessage(seq, p.ts(), at, p.from(), p.body(), p.key());
      messages.addLast(m);
      bytes += m.bytes();
      if (p.key() != null) {
        keys.put(p.key(), new long[] {seq, p.ts()});
      }
      seqs[i] = seq;
    }
    trim(now, limits);
    while (keys.size() > limits.maxKeys()) {
      removeEldest(keys);
    }
    batches.put(origin, batchId, seqs);
    return seqs;
  }

  /** Drops the messages past the count, byte and age bounds, oldest first; the seq never goes back. */
  void trim(long now, LogLimits limits) {
    long oldest = now - limits.ttlMs();
    while (!messages.isEmpty() && (messages.size() > limits.size() || bytes > limits.maxBytes()
        || messages.peekFirst().ts() < oldest)) {
      bytes -= messages.pollFirst().bytes();
    }
  }

  private void expireKeys(long now, LogLimits limits) {
    long oldest = now - limits.ttlMs();
    Iterator<long[]> it = keys.values().iterator();
    while (it.hasNext() && it.next()[1] < oldest) {
      it.remove();
    }
  }

  private static <K, V> void removeEldest(LinkedHashMap<K, V> map) {
    Iterator<Map.Entry<K, V>> it = map.entrySet().iterator();
    it.next();
    it.remove();
  }

  /** Adds or removes a node from the ones the group fans out to; true if that changed anything. */
  boolean subscribe(String busId, boolean add) {
    if (add) {
      if (subscribers.contains(busId)) {
        return false;
      }
      subscribers.add(busId);
      return true;
    }
    return subscribers.remove(busId);
  }

  @Override
  public int getClassId() {
    return LogSerialization.GROUP_LOG;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(epoch);
    out.writeLong(lastSeq);
    out.writeLong(confirmed);
    out.writeInt(messages.size());
    for (LogMessage m : messages) {
      m.writeTo(out);
    }
    out.writeInt(keys.size());
    for (Map.Entry<String, long[]> k : keys.entrySet()) {
      out.writeString(k.getKey());
      out.writeLong(k.getValue()[0]);
      out.writeLong(k.getValue()[1]);
    }
    batches.writeTo(out);
    out.writeStringArray(subscribers.toArray(String[]::new));
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    epoch = in.readString();
    lastSeq = in.readLong();
    confirmed = in.readLong();
    for (int i = in.readInt(); i > 0; i--) {
      LogMessage m = LogMessage.readFrom(in);
      messages.addLast(m);
      bytes += m.bytes();
    }
    for (int i = in.readInt(); i > 0; i--) {
      keys.put(in.readString(), new long[] {in.readLong(), in.readLong()});
    }
    batches.readFrom(in);
    subscribers.addAll(List.of(in.readStringArray()));
  }
}
