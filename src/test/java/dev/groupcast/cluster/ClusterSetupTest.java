package dev.groupcast.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import dev.groupcast.config.ConfigLoader;
import dev.groupcast.config.GroupcastConfig;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterSetupTest {

  @Test
  void aNodeWithoutMembersStartsAloneWithFastFailureDetectionAndNoJmx() {
    Config hz = ClusterSetup.hazelcastConfig(ConfigLoader.load(null, Map.of("GROUPCAST_CLUSTER_PORT", "5801")));
    JoinConfig join = hz.getNetworkConfig().getJoin();
    assertFalse(join.getMulticastConfig().isEnabled());
    assertTrue(join.getTcpIpConfig().isEnabled(), "others may join it by listing it (a proxy beside it)");
    assertEquals(List.of(), join.getTcpIpConfig().getMembers());
    assertEquals(5801, hz.getNetworkConfig().getPort());
    assertFalse(hz.getNetworkConfig().isPortAutoIncrement());
    assertEquals("0", hz.getProperty("hazelcast.wait.seconds.before.join"));
    assertEquals("5", hz.getProperty("hazelcast.max.no.heartbeat.seconds"));
    assertEquals("OFF", hz.getProperty("hazelcast.health.monitoring.level"));
    assertFalse(hz.getMetricsConfig().isEnabled());
    assertFalse(hz.getMetricsConfig().getJmxConfig().isEnabled());
    assertEquals(1, hz.getMultiMapConfig("__vertx.subs").getBackupCount());
    assertEquals(1, hz.getMapConfig("__vertx.nodeInfo").getBackupCount());
  }

  @Test
  void listedMembersAreJoinedOverTcpIpWithAShortConnectTimeout() {
    GroupcastConfig config = ConfigLoader.load(null, Map.of("GROUPCAST_CLUSTER_MEMBERS", "127.0.0.1:5702,127.0.0.1:5703"));
    JoinConfig join = ClusterSetup.hazelcastConfig(config).getNetworkConfig().getJoin();
    assertTrue(join.getTcpIpConfig().isEnabled());
    assertEquals(List.of("127.0.0.1:5702", "127.0.0.1:5703"), join.getTcpIpConfig().getMembers());
    assertEquals(1, join.getTcpIpConfig().getConnectionTimeoutSeconds());
  }

  @Test
  void kubernetesDiscoveryAsksTheHeadlessServiceInsteadOfAList() {
    GroupcastConfig config = ConfigLoader.load(null, Map.of("GROUPCAST_CLUSTER_DISCOVERY", "kubernetes",
        "GROUPCAST_CLUSTER_SERVICE", "groupcast-cluster.default.svc.cluster.local"));
    JoinConfig join = ClusterSetup.hazelcastConfig(config).getNetworkConfig().getJoin();
    assertFalse(join.getTcpIpConfig().isEnabled());
    assertTrue(join.getKubernetesConfig().isEnabled());
    assertEquals("groupcast-cluster.default.svc.cluster.local", join.getKubernetesConfig().getProperty("service-dns"));
  }
}
