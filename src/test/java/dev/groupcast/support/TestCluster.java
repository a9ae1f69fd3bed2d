package dev.groupcast.support;

import dev.groupcast.GroupcastNode;
import dev.groupcast.config.ConfigLoader;
import io.vertx.core.Future;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts real groupcast nodes in this JVM, each with its own clustered Vert.x and Hazelcast member,
 * joined over TCP-IP on 127.0.0.1 with distinct ports. Configuration goes through the same
 * {@code GROUPCAST_*} overrides users set.
 */
public final class TestCluster implements AutoCloseable {

  private final List<GroupcastNode> nodes = new ArrayList<>();
  private final java.util.Set<Integer> crashed = new java.util.HashSet<>();

  private TestCluster() {
  }

  /** Starts {@code count} nodes together and waits until all are ready. */
  public static TestCluster start(int count, Map<String, String> extraEnv) {
    return start(nodeEnvs("node", count, extraEnv));
  }

  /** Starts one node per environment together and waits until all are ready. */
  public static TestCluster start(List<Map<String, String>> envs) {
    TestCluster cluster = new TestCluster();
    List<Future<GroupcastNode>> starting = new ArrayList<>();
    for (Map<String, String> env : envs) {
      starting.add(GroupcastNode.start(ConfigLoader.load(null, env)));
    }
    try {
      for (Future<GroupcastNode> f : starting) {
        cluster.nodes.add(Await.result(f, 60));
      }
      cluster.awaitSafe();
      cluster.awaitReady();
    } catch (AssertionError e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /** Until every node says it is ready: the cluster safe and a majority reachable (it sequences then). */
  public void awaitReady() {
    for (GroupcastNode node : nodes) {
      Await.until(node.config().node().id() + " ready", 30, () -> node.state().ready());
    }
  }

  /** Until no partition migrates and every backup is in sync, so a test's writes have their backups. */
  public void awaitSafe() {
    long deadline = System.currentTimeMillis() + 30_000;
    for (GroupcastNode node : nodes) {
      String name = "groupcast-" + node.config().node().id() + "-" + node.config().cluster().port();
      var hz = com.hazelcast.core.Hazelcast.getHazelcastInstanceByName(name);
      while (hz != null && !hz.getPartitionService().isClusterSafe()) {
        if (System.currentTimeMillis() > deadline) {
          throw new AssertionError("cluster not safe within 30 s");
        }
        try {
          Thread.sleep(20); // polls Hazelcast's own state until the condition holds, without spinning a core
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }
  }

  /** Starts one more node (its environment from the same {@link #nodeEnvs} call) and waits for it. */
  public GroupcastNode add(Map<String, String> env) {
    GroupcastNode node = Await.result(GroupcastNode.start(ConfigLoader.load(null, env)), 60);
    nodes.add(node);
    awaitSafe();
    awaitReady();
    return node;
  }

  /**
   * The {@code GROUPCAST_*} variables of {@code count} nodes that form one cluster on 127.0.0.1:
   * ids {@code <prefix>1..n}, free HTTP and cluster ports, each listing all members.
   */
  public static List<Map<String, String>> nodeEnvs(String prefix, int count, Map<String, String> extraEnv) {
    List<Integer> clusterPorts = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      clusterPorts.add(freePort());
    }
    String members = String.join(",", clusterPorts.stream().map(p -> "127.0.0.1:" + p).toList());
    List<Map<String, String>> envs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Map<String, String> env = new HashMap<>(extraEnv);
      env.putIfAbsent("GROUPCAST_NODE_ID", prefix + (i + 1));
      env.put("GROUPCAST_HTTP_HOST", "127.0.0.1");
      env.put("GROUPCAST_HTTP_PORT", String.valueOf(freePort()));
      env.put("GROUPCAST_PROXY_PORT", String.valueOf(freePort()));
      env.putIfAbsent("GROUPCAST_SHUTDOWN_DRAIN_DELAY", "100ms"); // tests close nodes often
      env.putIfAbsent("GROUPCAST_LIMITS_PUBLISH_RATE", "0"); // order and load tests publish in bursts
      env.put("GROUPCAST_CLUSTER_PORT", String.valueOf(clusterPorts.get(i)));
      env.put("GROUPCAST_CLUSTER_MEMBERS", members);
      env.putIfAbsent("GROUPCAST_CLUSTER_NAME", prefix + "-" + ProcessHandle.current().pid() + "-" + clusterPorts.get(0));
      envs.add(env);
    }
    return envs;
  }

  /**
   * Node {@code index} dies without a goodbye, like a crash: its Hazelcast member is terminated and its
   * Vert.x closed without waiting (what is left of it cannot leave a cluster it is no longer in). The
   * node stays listed, for its configuration; {@link #close} passes over it.
   */
  public void crash(int index) {
    hazelcast(index).getLifecycleService().terminate();
    crashed.add(index);
    nodes.get(index).vertx().close();
  }

  /** The Hazelcast member of node {@code index}. */
  public com.hazelcast.core.HazelcastInstance hazelcast(int index) {
    GroupcastNode node = nodes.get(index);
    String name = "groupcast-" + node.config().node().id() + "-" + node.config().cluster().port();
    com.hazelcast.core.HazelcastInstance hz = com.hazelcast.core.Hazelcast.getHazelcastInstanceByName(name);
    if (hz == null) {
      throw new AssertionError("no Hazelcast instance " + name);
    }
    return hz;
  }

  /**
   * Holds every partition thread of node {@code index} (Hazelcast's own executor), so the member runs
   * no partition operation and acknowledges no backup, until the returned handle is closed (30 s at
   * most).
   */
  public AutoCloseable holdPartitionThreads(int index) throws InterruptedException {
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    ((com.hazelcast.instance.impl.HazelcastInstanceProxy) hazelcast(index)).getOriginal().node.getNodeEngine()
        .getOperationService().getOperationExecutor().executeOnPartitionThreads(() -> {
          held.countDown();
          try {
            release.await(30, java.util.concurrent.TimeUnit.SECONDS); // the partition threads stand still meanwhile
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    if (!held.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
      throw new AssertionError("node " + index + "'s partition threads not held within 10 s");
    }
    return release::countDown;
  }

  /** A group named {@code prefix-N} whose log (sequence and history) has its primary copy on node {@code index}. */
  public String groupOwnedBy(int index, String prefix) {
    com.hazelcast.core.HazelcastInstance hz = hazelcast(index);
    com.hazelcast.cluster.Member owner = hz.getCluster().getLocalMember();
    for (int i = 0; i < 10_000; i++) {
      String group = prefix + "-" + i;
      if (owner.equals(hz.getPartitionService().getPartition(group).getOwner())) {
        return group;
      }
    }
    throw new AssertionError("no group owned by " + owner);
  }

  public GroupcastNode node(int index) {
    return nodes.get(index);
  }

  public int httpPort(int index) {
    return nodes.get(index).config().http().port();
  }

  public int proxyPort(int index) {
    return nodes.get(index).config().proxy().port();
  }

  public int size() {
    return nodes.size();
  }

  /**
   * A port nothing listens on, below the kernel's ephemeral range (32768 up): a port the kernel handed
   * out as free there can be taken by any outgoing connection (a node's own cluster connections, a
   * client) before the node binds it (CI failed with "Address already in use" once). Never the same
   * twice in one JVM; test JVMs of one run start at different places (their pids).
   */
  public static int freePort() {
    for (int attempt = 0; attempt < PORT_SPAN; attempt++) {
      int port = PORT_BASE + Math.floorMod(nextPort.getAndIncrement(), PORT_SPAN);
      try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException e) {
        // taken: the next one
      }
    }
    throw new IllegalStateException("no free port in " + PORT_BASE + ".." + (PORT_BASE + PORT_SPAN));
  }

  private static final int PORT_BASE = 20_000;
  private static final int PORT_SPAN = 12_000;
  private static final java.util.concurrent.atomic.AtomicInteger nextPort =
      new java.util.concurrent.atomic.AtomicInteger((int) (ProcessHandle.current().pid() * 397 % PORT_SPAN));

  @Override
  public void close() {
    List<Future<Void>> closing = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (!crashed.contains(i)) {
        closing.add(nodes.get(i).close().recover(e -> Future.succeededFuture()));
      }
    }
    Future.join(closing).toCompletionStage().toCompletableFuture().completeOnTimeout(null, 30,
        java.util.concurrent.TimeUnit.SECONDS).join();
  }
}
