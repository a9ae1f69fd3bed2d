package dev.groupcast.group.log;

import com.hazelcast.cluster.Member;
import dev.groupcast.cluster.ClusterSetup;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The majority that may sequence counts gateways, never proxy-only members. */
class GatewayMajorityTest {

  private static Member member(String gateway) {
    return (Member) Proxy.newProxyInstance(Member.class.getClassLoader(), new Class<?>[] {Member.class},
        (self, method, args) -> switch (method.getName()) {
          case "getAttribute" -> ClusterSetup.GATEWAY_ATTRIBUTE.equals(args[0]) ? gateway : null;
          case "localMember" -> false;
          case "isLiteMember" -> false;
          case "hashCode" -> System.identityHashCode(self);
          case "equals" -> self == args[0];
          case "toString" -> "member(gateway=" + gateway + ")";
          default -> null;
        });
  }

  @Test
  void aGatewayCutOffWithAProxyIsStillAMinorityOfThree() {
    GatewayMajority majority = new GatewayMajority(2, 60_000);
    // one gateway and one proxy-only node on one side of a partition of 3 gateways + 1 proxy
    assertFalse(majority.apply(List.of(member("true"), member("false"))));
    assertFalse(GatewayMajority.gateways(List.of(member("true"), member("false"), member("false"))).size() >= 2);
    assertTrue(GatewayMajority.gateways(List.of(member("true"), member("true"), member("false"))).size() >= 2);
    // a member from before the attribute counts, as it did
    assertTrue(GatewayMajority.gateways(List.of(member(null), member("true"))).size() == 2);
  }
}
