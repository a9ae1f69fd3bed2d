package dev.groupcast.ops;

/** Whether this node takes clients: starting until everything listens, stopping once shutdown begins. */
public final class NodeState {

  public enum Phase { STARTING, READY, STOPPING }

  private final String nodeId;
  private volatile Phase phase = Phase.STARTING;

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
    return phase == Phase.READY;
  }

  public void markReady() {
    if (phase == Phase.STARTING) {
      phase = Phase.READY;
    }
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
