package dev.groupcast.group.log;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last appends of each publishing node, by batch id, so that an append sent again (by the node
 * after an unknown outcome, by Hazelcast after a member left) is answered with its first result
 * instead of being stored twice. Kept per node rather than as the group's last N batches: a node has
 * one append in flight per group, so its retry is of one of its last few batches however busy the
 * other nodes keep the group meanwhile.
 */
final class RecentBatches {

  /** Batches remembered per node: the one in flight, and a few that failed while Hazelcast still retried them. */
  static final int PER_NODE = 4;
  /** Nodes remembered (oldest publisher forgotten first); nodes that left are dropped at once. */
  static final int NODES = 64;

  private record Batch(long id, long[] seqs) {
  }

  private final LinkedHashMap<String, ArrayDeque<Batch>> byNode = new LinkedHashMap<>();

  /** The seqs batch {@code id} of {@code node} got, or null if it is not known. */
  long[] get(String node, long id) {
    ArrayDeque<Batch> batches = byNode.get(node);
    if (batches != null) {
      for (Batch b : batches) {
        if (b.id == id) {
          return b.seqs;
        }
      }
    }
    return null;
  }

  void put(String node, long id, long[] seqs) {
    ArrayDeque<Batch> batches = byNode.remove(node); // re-inserted last: the most recent publisher
    if (batches == null) {
      batches = new ArrayDeque<>(PER_NODE);
    }
    if (batches.size() == PER_NODE) {
      batches.pollFirst();
    }
    batches.addLast(new Batch(id, seqs));
    byNode.put(node, batches);
    if (byNode.size() > NODES) {
      Iterator<?> eldest = byNode.values().iterator();
      eldest.next();
      eldest.remove();
    }
  }

  /** A node left the cluster: it sends nothing again. */
  void forget(String node) {
    byNode.remove(node);
  }

  int nodes() {
    return byNode.size();
  }

  void writeTo(ObjectDataOutput out) throws IOException {
    out.writeInt(byNode.size());
    for (Map.Entry<String, ArrayDeque<Batch>> e : byNode.entrySet()) {
      out.writeString(e.getKey());
      out.writeInt(e.getValue().size());
      for (Batch b : e.getValue()) {
        out.writeLong(b.id);
        out.writeLongArray(b.seqs);
      }
    }
  }

  void readFrom(ObjectDataInput in) throws IOException {
    for (int n = in.readInt(); n > 0; n--) {
      String node = in.readString();
      ArrayDeque<Batch> batches = new ArrayDeque<>(PER_NODE);
      for (int i = in.readInt(); i > 0; i--) {
        batches.addLast(new Batch(in.readLong(), in.readLongArray()));
      }
      byNode.put(node, batches);
    }
  }
}
