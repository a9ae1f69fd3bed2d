package dev.groupcast.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.groupcast.support.Await;
import dev.groupcast.support.TestCluster;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterFuturesTest {

  /**
   * Hazelcast runs plain {@code whenComplete} callbacks on its default executor, which starts a thread
   * per callback when the JDK's common pool has a parallelism of 1 (2 cores, like this project's
   * machines): {@code Future.fromCompletionStage} started 500 threads here. On more cores the
   * common pool takes the callbacks and this test cannot tell the difference.
   */
  @Test
  void clusterCallsCompleteOnTheCallersContextWithoutAThreadEach() {
    Config config = new Config().setClusterName("futures-" + ProcessHandle.current().pid());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.getNetworkConfig().setPort(TestCluster.freePort()).setPortAutoIncrement(false);
    config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
    config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).addMember("127.0.0.1");
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(config);
    Vertx vertx = Vertx.vertx();
    try {
      IMap<String, Integer> map = hz.getMap("futures");
      Context context = vertx.getOrCreateContext();
      int calls = 500;
      long threadsBefore = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
      List<Future<Integer>> done = new ArrayList<>();
      List<Boolean> onContext = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int i = 0; i < calls; i++) {
        done.add(ClusterFutures.on(context, map.putAsync("k" + i, i))
            .onComplete(ar -> onContext.add(Vertx.currentContext() == context)));
      }
      Await.result(Future.all(done));
      long started = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - threadsBefore;
      assertTrue(started < 50, started + " threads started for " + calls + " cluster calls");
      Await.until("every listener ran", 15, () -> onContext.size() == calls);
      assertEquals(calls, onContext.stream().filter(b -> b).count(), "listeners run on the caller's context");
    } finally {
      vertx.close();
      hz.shutdown();
    }
  }
}
