package dev.groupcast.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** N fat-jar processes joined into one cluster on 127.0.0.1, started together, ready when returned. */
public final class JarCluster implements AutoCloseable {

  private final List<JarProcess> nodes;

  private JarCluster(List<JarProcess> nodes) {
    this.nodes = nodes;
  }

  /** Starts nodes named {@code <prefix>-a}, {@code <prefix>-b}, ... and waits for {@code /health/ready} on all. */
  public static JarCluster start(Vertx vertx, String prefix, int count, Map<String, String> extraEnv) {
    List<Integer> clusterPorts = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      clusterPorts.add(TestCluster.freePort());
    }
    String members = String.join(",", clusterPorts.stream().map(p -> "127.0.0.1:" + p).toList());
    List<JarProcess> nodes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = prefix + "-" + (char) ('a' + i);
      Map<String, String> env = new HashMap<>(extraEnv);
      env.put("GROUPCAST_NODE_ID", id);
      env.put("GROUPCAST_HTTP_HOST", "127.0.0.1");
      env.put("GROUPCAST_HTTP_PORT", String.valueOf(TestCluster.freePort()));
      env.put("GROUPCAST_CLUSTER_PORT", String.valueOf(clusterPorts.get(i)));
      env.put("GROUPCAST_CLUSTER_MEMBERS", members);
      env.put("GROUPCAST_CLUSTER_NAME", prefix + "-" + clusterPorts.get(0));
      nodes.add(JarProcess.start(id, env));
    }
    JarCluster cluster = new JarCluster(nodes);
    try {
      List<Future<Void>> ready = nodes.stream().map(n -> n.ready(vertx, 60_000)).toList();
      Await.result(Future.all(ready), 70);
    } catch (AssertionError e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  public JarProcess node(int index) {
    return nodes.get(index);
  }

  public String url(int index) {
    return "http://127.0.0.1:" + nodes.get(index).httpPort;
  }

  @Override
  public void close() {
    for (JarProcess n : nodes) {
      try {
        n.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
