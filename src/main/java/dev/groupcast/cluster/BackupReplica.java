package dev.groupcast.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.memberselector.MemberSelectors;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceImpl;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.internal.partition.PartitionReplica;

import java.util.Set;
import java.util.UUID;

/**
 * Which member holds the backup of a key's partition, as the partition's owner sees it when an
 * operation runs there, and whether the member that called the operation can trust that backup's
 * acknowledgement when the answer arrives: whether a "synchronously backed" answer was backed.
 *
 * <p>Why: Hazelcast sends a synchronous backup only to a backup replica that is assigned, and when
 * any member leaves it stops waiting for one backup acknowledgement of every operation. So for a
 * while after a member leaves (until the master has assigned the lost replicas again and copied the
 * data to them, a second or more under load) an operation on a partition it was the backup of is
 * answered at once, from the owner alone, and one waiting for a backup's acknowledgement is answered
 * as soon as any member is removed. Such an append was lost, or its seq given to another message,
 * when its only copy was on the side a later split dropped. Hazelcast's public API does not say which
 * replicas a partition has, so {@link #of} reads its partition table (internal API, kept to this
 * class, to revisit when Hazelcast is upgraded).
 */
public final class BackupReplica {

  /** What {@link #of} answers in a cluster of one data member: no backup is possible, none is awaited. */
  public static final UUID NONE_NEEDED = new UUID(0, 0);

  private BackupReplica() {
  }

  /**
   * The backup replica's member (its UUID) of the partition of {@code key}, {@link #NONE_NEEDED} when
   * the cluster has a single data member (the majority rule decides there), or null when the
   * partition has no backup on a current member, or it cannot be known (not a member's own instance).
   */
  public static UUID of(HazelcastInstance hazelcast, Object key) {
    Node node = node(hazelcast);
    if (node == null) {
      return null;
    }
    if (node.getClusterService().getSize(MemberSelectors.DATA_MEMBER_SELECTOR) < 2) {
      return NONE_NEEDED;
    }
    int partition = node.getPartitionService().getPartitionId(key);
    PartitionReplica backup = node.getPartitionService().getPartition(partition).getReplica(1);
    return backup != null && node.getClusterService().getMember(backup.address(), backup.uuid()) != null
        ? backup.uuid() : null;
  }

  /** The members as this member sees them now: noted when an operation is sent, for {@link #confirmed}. */
  public static Set<Member> members(HazelcastInstance hazelcast) {
    try {
      return hazelcast.getCluster().getMembers();
    } catch (RuntimeException e) {
      return Set.of(); // shutting down: nothing will be confirmed
    }
  }

  /**
   * Whether an answer whose owner named {@code backup} ({@link #of}) was acknowledged by that backup,
   * as far as this member (the caller) can tell: none was needed, or that member is still in the
   * cluster and no member left since the operation was sent ({@code membersAtSend}). Hazelcast, when
   * any member leaves, credits every operation waiting for backup acknowledgements with one, since it
   * cannot know whose will never come: an append whose backup was merely slow is then answered as
   * backed (seen in ClusterFaultsIT: the backup's member was alive, its copy never got the append).
   * Such answers are not confirmed; sent again, the operation gets a real acknowledgement.
   */
  public static boolean confirmed(HazelcastInstance hazelcast, UUID backup, Set<Member> membersAtSend) {
    if (backup == null) {
      return false;
    }
    Set<Member> now = members(hazelcast);
    if (!now.equals(membersAtSend)) {
      return false;
    }
    if (backup.equals(NONE_NEEDED)) {
      return true;
    }
    for (Member m : now) {
      if (backup.equals(m.getUuid())) {
        return true;
      }
    }
    return false;
  }

  private static Node node(HazelcastInstance hazelcast) {
    try {
      if (hazelcast instanceof HazelcastInstanceImpl impl) {
        return impl.node;
      }
      if (hazelcast instanceof HazelcastInstanceProxy proxy) {
        return proxy.getOriginal().node;
      }
    } catch (RuntimeException e) {
      // not active any more
    }
    return null;
  }
}
