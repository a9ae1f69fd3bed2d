package dev.groupcast.ops;

/**
 * Whether this node takes clients: starting until everything listens, stopping once shutdown
 * begins, and in between only while the cluster lets it work: its first readiness waits until the
 * cluster is safe (every partition's replicas in sync: a rolling update never takes the next node
 * before the last one's data arrived), and it is not ready while it cannot reach a majority of the
 * cluster (proxies then send clients elsewhere).
 */
public final class NodeState {

  public enum Phase { STARTING, READY, STOPPING }

  private final String nodeId;
  private volatile Phase phase = Phase.STARTING;
  /** Null while the cluster is fine (or the node runs alone), else why not: see {@link #status}. */
  private volatile String clusterProblem;

  public NodeState(String nodeId) {
    this.nodeId = nodeId;
  }

  public String nodeId() {
    return nodeId;
  }

  public Phase phase() {
    return phase;
  }

  public boolean ready() {
    return phase == Phase.READY && clusterProblem == null;
  }

  /** {@code starting}, {@code ready}, {@code stopping}, or what the cluster lacks ({@code syncing}, {@code no_quorum}). */
  public String status() {
    if (phase == Phase.READY && clusterProblem != null) {
      return clusterProblem;
    }
    return phase.name().toLowerCase(java.util.Locale.ROOT);
  }

  public void markReady() {
    if (phase == Phase.STARTING) {
      phase = Phase.READY;
    }
  }

  /** What the cluster lacks for this node to take clients (null: nothing). */
  public void clusterProblem(String problem) {
    clusterProblem = problem;
  }

  public void markStopping() {
    phase = Phase.STOPPING;
  }

  public boolean stopping() {
    return phase == Phase.STOPPING;
  }

  /**
   * On the 503 a draining node answers to a new client: proxies (ours included) may retry the request
   * on another node, since nothing of it was served.
   */
  public static final String DRAINING_HEADER = "X-Groupcast-Draining";
}
