package dev.groupcast.group;

import io.vertx.core.Promise;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where this node's delivery of one group stands (the stream position and its epoch, kept apart from
 * who gets it): the seq to dispatch next, the messages that came ahead of their turn, and the local
 * hubs and followers it dispatches to. Confined to its shard's event loop; {@link Feeds} drives it.
 */
final class Feed {

  final String group;
  final Set<LocalHub> locals = new LinkedHashSet<>();
  /** Bridge clients and server code on this node that listen on the group's address. */
  int followers;
  /** Joins waiting for the feed to know its stream. */
  final List<Promise<Boundary>> waiting = new ArrayList<>();
  /** Batches that came while the feed did not know its stream yet, or while its epoch is checked. */
  final List<FeedBatch> held = new ArrayList<>();
  /** Messages that arrived ahead of their turn, by seq. */
  final TreeMap<Long, Early> early = new TreeMap<>();

  String epoch;
  /** The seq to dispatch next; valid once ready. */
  long next;
  boolean ready;
  /** The stream's epoch is being checked with the cluster. */
  boolean checking;
  /** The periodic check of its position is in flight. */
  boolean positioning;
  /** A history read is in flight; {@code readAgain}: up to where to read once it is back (0: no). */
  boolean reading;
  long readAgain;
  /** The highest seq known to be acknowledged: it came through fan-out, after its append succeeded. */
  long acked;
  long gapTimer = -1;
  long lastDispatchAt;
  long dispatched;
  /** When the last member, follower and join left (0: in use); the feed goes some time later. */
  long unusedSince;
  /** Counted among the node's groups (it is in use). */
  boolean counted;

  Feed(String group) {
    this.group = group;
  }

  boolean inUse() {
    return !locals.isEmpty() || followers > 0 || !waiting.isEmpty();
  }

  /** A message ahead of its turn. */
  record Early(OutFrame frame, long ts) {
  }
}
