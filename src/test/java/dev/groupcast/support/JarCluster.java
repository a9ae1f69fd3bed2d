package dev.groupcast.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
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
    return start(vertx, prefix, TestCluster.nodeEnvs(prefix, count, extraEnv));
  }

  /** Starts one process per environment (from {@link TestCluster#nodeEnvs}), named {@code <prefix>-a, -b...}. */
  public static JarCluster start(Vertx vertx, String prefix, List<Map<String, String>> envs) {
    List<JarProcess> nodes = new ArrayList<>();
    for (int i = 0; i < envs.size(); i++) {
      Map<String, String> env = envs.get(i);
      String id = prefix + "-" + (char) ('a' + i);
      env.put("GROUPCAST_NODE_ID", id);
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

  /** Starts node {@code index} again (after it stopped or was killed) and waits until it is ready. */
  public JarProcess restart(Vertx vertx, int index) {
    JarProcess again = nodes.get(index).restart();
    nodes.set(index, again);
    Await.result(again.ready(vertx, 60_000), 70);
    return again;
  }

  /**
   * Waits until requests through a proxy process reach every one of the given nodes: a proxy is
   * ready once it reaches one gateway, and discovers the others within its health interval.
   */
  public static void awaitProxyReaches(Vertx vertx, int proxyPort, java.util.Set<String> nodes) {
    io.vertx.ext.web.client.WebClient http = io.vertx.ext.web.client.WebClient.create(vertx);
    io.vertx.core.Promise<Void> all = io.vertx.core.Promise.promise();
    java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    long deadline = System.currentTimeMillis() + 30_000;
    vertx.setPeriodic(100, id -> http.get(proxyPort, "127.0.0.1", "/health/ready").send().onComplete(ar -> {
      if (ar.succeeded() && ar.result().statusCode() == 200) {
        seen.add(ar.result().bodyAsJsonObject().getString("node"));
      }
      if (seen.containsAll(nodes)) {
        vertx.cancelTimer(id);
        all.tryComplete();
      } else if (System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(id);
        all.tryFail("the proxy reached only " + seen + " of " + nodes);
      }
    }));
    Await.result(all.future(), 40);
    http.close();
  }

  public String url(int index) {
    return "http://127.0.0.1:" + nodes.get(index).httpPort;
  }

  public int size() {
    return nodes.size();
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
