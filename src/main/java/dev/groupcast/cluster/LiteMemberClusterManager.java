package dev.groupcast.cluster;

import com.hazelcast.cluster.Cluster;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import io.vertx.core.Completable;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The cluster manager of a proxy-only node, a Hazelcast lite member: it holds no partition, so no
 * group's history or sequence lives on a node that the gateways' majority does not count, and losing
 * a proxy with a gateway cannot lose both copies of a log. A lite member cannot serve Vert.x's own
 * maps (event-bus subscriptions, node information) until a data member exists, so its join completes
 * only once a gateway is in the cluster; until then it waits, and says so once.
 */
public final class LiteMemberClusterManager extends HazelcastClusterManager {

  private static final Logger log = LoggerFactory.getLogger(LiteMemberClusterManager.class);

  public LiteMemberClusterManager(Config config) {
    super(config.setLiteMember(true));
  }

  @Override
  public void join(Completable<Void> promise) {
    super.join((ignored, failure) -> {
      if (failure != null) {
        promise.fail(failure);
      } else {
        new DataMemberWait(getHazelcastInstance().getCluster(), promise).start();
      }
    });
  }

  /** Completes the join once the cluster holds a data member, whichever comes first: now or a join. */
  private static final class DataMemberWait implements MembershipListener {
    private final Cluster cluster;
    private final Completable<Void> promise;
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile UUID registration;

    DataMemberWait(Cluster cluster, Completable<Void> promise) {
      this.cluster = cluster;
      this.promise = promise;
    }

    void start() {
      // registered before the first check, so a gateway joining in between is not missed
      registration = cluster.addMembershipListener(this);
      if (!check()) {
        log.info("proxy-only node: waiting for a gateway to join the cluster ({} member(s) now)",
            cluster.getMembers().size());
      }
    }

    @Override
    public void memberAdded(MembershipEvent event) {
      check();
    }

    @Override
    public void memberRemoved(MembershipEvent event) {
    }

    private boolean check() {
      if (!hasDataMember(cluster)) {
        return false;
      }
      if (done.compareAndSet(false, true)) {
        promise.succeed();
      }
      UUID id = registration; // null when a join's event ran before start() kept it: start() removes it
      if (id != null) {
        cluster.removeMembershipListener(id);
      }
      return true;
    }
  }

  private static boolean hasDataMember(Cluster cluster) {
    for (Member member : cluster.getMembers()) {
      if (!member.isLiteMember()) {
        return true;
      }
    }
    return false;
  }
}
