package dev.groupcast.cluster;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import dev.groupcast.config.ConfigException;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.config.HostPort;
import dev.groupcast.config.Role;
import dev.groupcast.group.HistoryStore;
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
 * Hazelcast and event-bus settings from the configuration: {@code conf/cluster.xml} is the base, then
 * {@code cluster.*} decides the bound address, the member port and the TCP-IP member list (multicast is
 * never used). Each node advertises its HTTP address in the cluster node metadata.
 */
public final class ClusterSetup {

  static final String BASE_CONFIG = "cluster.xml";

  private ClusterSetup() {
  }

  public static Config hazelcastConfig(GroupcastConfig config) {
    GroupcastConfig.Cluster cluster = config.cluster();
    Config hz = new ClasspathXmlConfig(BASE_CONFIG);
    hz.setClusterName(cluster.name());
    hz.setInstanceName("groupcast-" + config.node().id() + "-" + cluster.port());
    String ip = resolve(cluster.host());

    NetworkConfig network = hz.getNetworkConfig();
    network.setPort(cluster.port()).setPortAutoIncrement(false);
    network.setPublicAddress(ip + ":" + cluster.port());
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
      // no members listed: a cluster of one, which needs no join round at all
      join.getTcpIpConfig().setEnabled(!cluster.members().isEmpty())
          .setMembers(cluster.members().stream().map(HostPort::toString).toList());
    }

    hz.addRingBufferConfig(HistoryStore.ringbufferConfig(config.history()));
    return hz;
  }

  public static VertxOptions vertxOptions(GroupcastConfig config) {
    String host = resolve(config.cluster().host());
    EventBusOptions bus = new EventBusOptions()
        .setHost(host)
        .setPort(0)
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

  private static String resolve(String host) {
    try {
      return InetAddress.getByName(host).getHostAddress();
    } catch (UnknownHostException e) {
      throw new ConfigException("cluster.host = \"" + host + "\": cannot be resolved");
    }
  }
}
