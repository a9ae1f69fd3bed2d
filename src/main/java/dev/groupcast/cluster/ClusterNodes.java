package dev.groupcast.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;

import java.util.ArrayList;
import java.util.List;

/**
 * The cluster's nodes as they advertise themselves in their node metadata. A node that runs alone (a
 * proxy with a static backend list joins no cluster) is a cluster of itself.
 */
public final class ClusterNodes {

  /** The event-bus node id of a node that runs alone. */
  static final String STANDALONE_ID = "local";

  private final ClusterManager clusterManager;
  private final JsonObject localMetadata;

  private ClusterNodes(ClusterManager clusterManager, JsonObject localMetadata) {
    this.clusterManager = clusterManager;
    this.localMetadata = localMetadata;
  }

  public static ClusterNodes of(ClusterManager clusterManager) {
    return new ClusterNodes(clusterManager, null);
  }

  /** A node outside any cluster, described by its own metadata. */
  public static ClusterNodes standalone(JsonObject metadata) {
    return new ClusterNodes(null, metadata.copy());
  }

  /** This node's event-bus node id. */
  public String localBusId() {
    return clusterManager == null ? STANDALONE_ID : clusterManager.getNodeId();
  }

  /** The event-bus node ids of the cluster's nodes, this one included. */
  public List<String> busIds() {
    return clusterManager == null ? List.of(STANDALONE_ID) : List.copyOf(clusterManager.getNodes());
  }

  public int size() {
    return clusterManager == null ? 1 : clusterManager.getNodes().size();
  }

  /**
   * Each node's metadata ({@code node}, {@code http}, {@code roles}) plus {@code bus}, its event-bus
   * node id; a node that has none yet is left out.
   */
  public Future<List<JsonObject>> list() {
    if (clusterManager == null) {
      return Future.succeededFuture(List.of(localMetadata.copy().put("bus", STANDALONE_ID)));
    }
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
