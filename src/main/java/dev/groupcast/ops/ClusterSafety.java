package dev.groupcast.ops;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.splitbrainprotection.SplitBrainProtection;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@link NodeState} told what the cluster lets this node do. Until the cluster is first safe
 * (every partition's replicas in sync, no migration running) the node is {@code syncing}, however
 * long that takes: no timed fallback. From then on it is {@code no_quorum} whenever it cannot reach
 * a majority of {@code cluster.expectedSize} (it refuses publishes then, and proxies send clients
 * elsewhere). Hazelcast's safety check waits on the replicas, so it runs on a worker of its own, one
 * check at a time, never on an event loop.
 */
public final class ClusterSafety {

  private static final Logger log = LoggerFactory.getLogger(ClusterSafety.class);
  static final long INTERVAL_MS = 250;

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final String quorum;
  private final NodeState state;
  private final Promise<Void> firstSafe = Promise.promise();
  private WorkerExecutor worker;
  private boolean checking;
  private boolean safeOnce;
  private String lastProblem = "syncing";

  public ClusterSafety(Vertx vertx, HazelcastInstance hazelcast, String quorum, NodeState state) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.quorum = quorum;
    this.state = state;
  }

  /** Starts checking; the future completes the first time the cluster is safe. */
  public Future<Void> start() {
    state.clusterProblem("syncing");
    worker = vertx.createSharedWorkerExecutor("groupcast-cluster-safety", 1);
    vertx.setPeriodic(1, INTERVAL_MS, id -> check());
    return firstSafe.future();
  }

  private void check() {
    if (checking || !hazelcast.getLifecycleService().isRunning()) {
      return;
    }
    checking = true;
    worker.executeBlocking(() -> {
      if (!safeOnce && !hazelcast.getPartitionService().isClusterSafe()) {
        return "syncing";
      }
      SplitBrainProtection majority = hazelcast.getSplitBrainProtectionService().getSplitBrainProtection(quorum);
      return majority.hasMinimumSize() ? null : "no_quorum";
    }, false).onComplete(ar -> {
      checking = false;
      String problem = ar.succeeded() ? ar.result() : "syncing";
      if (problem == null && !safeOnce) {
        safeOnce = true;
        firstSafe.tryComplete();
      } else if (safeOnce && !java.util.Objects.equals(problem, lastProblem)) {
        if (problem != null) {
          log.warn("node {} is not ready: {} (a majority of the cluster is {} members)", state.nodeId(), problem,
              hazelcast.getConfig().getSplitBrainProtectionConfig(quorum).getMinimumClusterSize());
        } else {
          log.info("node {} is ready again", state.nodeId());
        }
      }
      lastProblem = problem;
      state.clusterProblem(problem);
    });
  }
}
