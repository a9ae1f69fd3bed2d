package dev.groupcast.group.log;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which groups this node has seen a log for, and since when a known one has been missing. A log that
 * vanishes is not always gone: while a healed partition merges, or a paused member's partitions
 * move, the entry is absent for a few seconds on its new owner before the merge or the migration
 * brings it back. Creating it then would start a new epoch beside the real one, which the merge would
 * then have to choose between. So a node re-creates a log it knew only once the log has been missing
 * for {@link #RECREATE_AFTER_MS}; a group it never saw is created at once. Bounded: the least recently
 * seen groups are forgotten first, and a forgotten one is simply created at once again.
 */
final class KnownLogs {

  /** Longer than a merge (first run 5 s after the heal, then its migrations). */
  static final long RECREATE_AFTER_MS = 10_000;
  private static final int MAX_GROUPS = 100_000;
  private static final long PRESENT = -1;

  /** group → {@link #PRESENT}, or when it was first found missing. */
  private final Map<String, Long> seen = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
      return size() > MAX_GROUPS;
    }
  };

  synchronized boolean mayCreate(String group, long now) {
    Long since = seen.get(group);
    return since == null || (since != PRESENT && now - since >= RECREATE_AFTER_MS);
  }

  synchronized void present(String group) {
    seen.put(group, PRESENT);
  }

  synchronized void missing(String group, long now) {
    Long since = seen.get(group);
    if (since != null && since == PRESENT) {
      seen.put(group, now);
    }
  }

  /** This node freed the group's log itself: nothing is on its way back. */
  synchronized void forget(String group) {
    seen.remove(group);
  }

  /** The cluster changed (a merge, a member back): a log missing until now may still come back. */
  synchronized void clusterChanged(long now) {
    seen.replaceAll((group, since) -> since == PRESENT ? PRESENT : now);
  }
}
