package dev.groupcast.group.log;

import com.hazelcast.cluster.Member;
import com.hazelcast.splitbrainprotection.impl.RecentlyActiveSplitBrainProtectionFunction;
import dev.groupcast.cluster.ClusterSetup;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A majority of the recently heard <em>gateway</em> members. A proxy-only node is a Hazelcast member
 * too (it discovers the gateways through the cluster), but {@code cluster.expectedSize} counts the
 * nodes that sequence: were a proxy counted, a gateway cut off together with a proxy would count two
 * of three and sequence beside the two gateways on the other side (split brain).
 */
public final class GatewayMajority extends RecentlyActiveSplitBrainProtectionFunction {

  public GatewayMajority(int quorum, int heartbeatToleranceMillis) {
    super(quorum, heartbeatToleranceMillis);
  }

  @Override
  public boolean apply(Collection<Member> members) {
    return super.apply(gateways(members));
  }

  static List<Member> gateways(Collection<Member> members) {
    List<Member> gateways = new ArrayList<>(members.size());
    for (Member m : members) {
      // a member without the attribute predates it: counted, as it was before
      if (!"false".equals(m.getAttribute(ClusterSetup.GATEWAY_ATTRIBUTE))) {
        gateways.add(m);
      }
    }
    return gateways;
  }
}
