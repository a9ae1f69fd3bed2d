package dev.groupcast.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;

import java.util.ArrayList;
import java.util.List;

/** The cluster's nodes as they advertise themselves in their node metadata. */
public final class ClusterNodes {

  private final ClusterManager clusterManager;

  public ClusterNodes(ClusterManager clusterManager) {
    this.clusterManager = clusterManager;
  }

  /** This node's event-bus node id. */
  public String localBusId() {
    return clusterManager.getNodeId();
  }

  /** The event-bus node ids of the cluster's nodes, this one included. */
  public List<String> busIds() {
    return List.copyOf(clusterManager.getNodes());
  }

  public int size() {
    return clusterManager.getNodes().size();
  }

  /**
   * Each node's metadata ({@code node}, {@code http}, {@code roles}) plus {@code bus}, its event-bus
   * node id; a node that has none yet is left out.
   */
  public Future<List<JsonObject>> list() {
    List<Future<NodeInfo>> infos = new ArrayList<>();
    List<String> ids = new ArrayList<>(clusterManager.getNodes());
    for (String nodeId : ids) {
      Promise<NodeInfo> info = Promise.promise();
      clusterManager.getNodeInfo(nodeId, info);
      infos.add(info.future().recover(e -> Future.succeededFuture(null)));
    }
    return Future.all(infos).map(all -> {
      List<JsonObject> nodes = new ArrayList<>();
      for (int i = 0; i < infos.size(); i++) {
        NodeInfo info = infos.get(i).result();
        if (info != null && info.metadata() != null) {
          nodes.add(info.metadata().copy().put("bus", ids.get(i)));
        }
      }
      nodes.sort((a, b) -> String.valueOf(a.getString("node")).compareTo(String.valueOf(b.getString("node"))));
      return nodes;
    });
  }
}
