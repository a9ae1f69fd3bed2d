package dev.groupcast.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import dev.groupcast.config.ConfigException;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.config.HostPort;
import dev.groupcast.config.Role;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Hazelcast and event-bus settings from the configuration: {@link #baseConfig()} is the base, then
 * {@code cluster.*} decides the bound address, the member port and the TCP-IP member list (multicast is
 * never used). Each node advertises its HTTP address in the cluster node metadata. What the layers
 * above keep in Hazelcast (the groups' history) they add to this configuration themselves.
 */
public final class ClusterSetup {

  /**
   * Member attribute saying whether a member is a gateway ({@code "true"}) or a proxy-only node
   * ({@code "false"}): the majority that may sequence counts gateways only.
   */
  public static final String GATEWAY_ATTRIBUTE = "groupcast.gateway";

  private ClusterSetup() {
  }

  public static Config hazelcastConfig(GroupcastConfig config) {
    GroupcastConfig.Cluster cluster = config.cluster();
    Config hz = baseConfig();
    hz.setClusterName(cluster.name());
    hz.setInstanceName("groupcast-" + config.node().id() + "-" + cluster.port());
    hz.getMemberAttributeConfig().setAttribute(GATEWAY_ATTRIBUTE, String.valueOf(!config.proxyOnly()));
    String ip = resolve(cluster.host());

    NetworkConfig network = hz.getNetworkConfig();
    int port = cluster.port() == 0 ? anyFreePort(ip) : cluster.port();
    network.setPort(port).setPortAutoIncrement(false);
    network.setPublicAddress(ip + ":" + port);
    network.getInterfaces().setEnabled(true).setInterfaces(List.of(ip));
    hz.setProperty("hazelcast.socket.bind.any", "false");

    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (cluster.discovery() == GroupcastConfig.Discovery.KUBERNETES) {
      // members are the addresses behind the headless Service (publishNotReadyAddresses: true)
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", cluster.service())
          .setProperty("service-port", String.valueOf(cluster.port()));
    } else {
      // TCP-IP even with no members listed (a cluster of one): others may still join it by listing
      // it, as a proxy-only node beside a lone gateway does, and Hazelcast refuses a joiner whose
      // join method differs from the member's
      join.getTcpIpConfig().setEnabled(true)
          .setMembers(cluster.members().stream().map(HostPort::toString).toList());
    }
    return hz;
  }

  /**
   * What every node starts from, before {@code cluster.*} is applied. Built in code rather than read
   * from XML: parsing the XML took a tenth of the 3 s start-up budget.
   */
  static Config baseConfig() {
    Config hz = new Config();
    hz.setProperty("hazelcast.logging.type", "slf4j");
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    // join at once instead of waiting 5 s for more members to show up
    hz.setProperty("hazelcast.wait.seconds.before.join", "0");
    // a dead member is noticed within seconds, so its partitions (sequences, history) move fast
    hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    hz.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
    // the node stops Hazelcast itself, after draining its clients
    hz.setProperty("hazelcast.shutdownhook.enabled", "false");
    // its first sample starts the JMX server (a quarter of a second of start-up); nothing reads it
    hz.setProperty("hazelcast.health.monitoring.level", "OFF");
    // no IO balancer: moving a connection between IO threads while a member stands still (frozen,
    // its socket full) stalled the connection between the two healthy members for 6 s, long enough
    // for them to drop each other (ClusterFaultsIT); a handful of members needs no balancing
    hz.setProperty("hazelcast.io.balancer.interval.seconds", "-1");
    // no JMX beans nor metric collection: nothing reads them (ours are on /metrics), and the JMX
    // classes alone cost a fifth of a second of start-up
    hz.getMetricsConfig().setEnabled(false);
    hz.getMetricsConfig().getJmxConfig().setEnabled(false);
    JoinConfig join = hz.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(1);
    // what vertx-hazelcast needs: event-bus subscriptions and node information, each with a backup
    hz.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
        .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    hz.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
    hz.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
    return hz;
  }

  public static VertxOptions vertxOptions(GroupcastConfig config) {
    String host = resolve(config.cluster().host());
    EventBusOptions bus = new EventBusOptions()
        .setHost(host)
        .setPort(config.cluster().busPort())
        .setClusterPublicHost(host)
        .setClusterNodeMetadata(nodeMetadata(config, host));
    if (config.tls().eventBus()) {
      // mutual TLS between nodes: each presents the shared certificate and trusts only it
      bus.setSsl(true)
          .setKeyCertOptions(TlsOptions.keyCert(config.tls()))
          .setTrustOptions(new PemTrustOptions().addCertPath(config.tls().cert()))
          .setClientAuth(ClientAuth.REQUIRED);
    }
    // epoll on Linux (Netty's native transport, in the jar): fewer system calls per message than NIO
    return new VertxOptions().setEventBusOptions(bus).setPreferNativeTransport(true);
  }

  /** What other nodes (and the proxy) learn about this one from the cluster. */
  public static JsonObject nodeMetadata(GroupcastConfig config, String advertisedHost) {
    JsonArray roles = new JsonArray();
    config.roles().stream().map(Role::key).sorted().forEach(roles::add);
    return new JsonObject()
        .put("node", config.node().id())
        .put("http", new HostPort(advertisedHost, config.http().port()).toString())
        .put("tls", config.tls().enabled())
        .put("roles", roles);
  }

  /** A port nothing listens on now, for a member that nobody lists (a proxy-only node). */
  static int anyFreePort(String ip) {
    try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
      probe.bind(new java.net.InetSocketAddress(ip, 0));
      return probe.getLocalPort();
    } catch (java.io.IOException e) {
      throw new ConfigException("cluster.host = \"" + ip + "\": no port can be bound there (" + e.getMessage() + ")");
    }
  }

  private static String resolve(String host) {
    try {
      return InetAddress.getByName(host).getHostAddress();
    } catch (UnknownHostException e) {
      throw new ConfigException("cluster.host = \"" + host + "\": cannot be resolved");
    }
  }
}
