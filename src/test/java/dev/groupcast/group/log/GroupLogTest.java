package dev.groupcast.group.log;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A group's log on its own: retried batches, repeated keys, the bounds. */
class GroupLogTest {

  private static final LogLimits LIMITS = new LogLimits(100, 60_000, 1 << 20, 1000);

  private static Publication pub(String body, String key) {
    return new Publication("u", body, 0, key);
  }

  @Test
  void aBatchSentAgainIsStoredOnceHoweverBusyOtherNodesKeptTheGroup() {
    GroupLog log = new GroupLog("e1");
    long[] first = log.append("node-a", 42, List.of(pub("1", null), pub("2", null)), 0, 0, LIMITS);
    assertArrayEquals(new long[] {1, 2}, first);
    // the other nodes append 500 batches while node a's outcome is unknown to it
    for (int i = 0; i < 500; i++) {
      log.append("node-" + (i % 3 == 0 ? "b" : "c"), 1000 + i, List.of(pub("x", null)), 0, 0, LIMITS);
    }
    long last = log.lastSeq();
    assertArrayEquals(first, log.append("node-a", 42, List.of(pub("1", null), pub("2", null)), 0, 0, LIMITS),
        "the retry answers the first result");
    assertEquals(last, log.lastSeq(), "and stores nothing");
    // a batch id is node a's own: node b's batch 42 is another batch
    assertArrayEquals(new long[] {last + 1}, log.append("node-b", 42, List.of(pub("y", null)), 0, 0, LIMITS));
  }

  @Test
  void aNodeRemembersItsLastFewBatchesAndForgetsThemWhenItLeaves() {
    GroupLog log = new GroupLog("e1");
    for (long id = 1; id <= RecentBatches.PER_NODE; id++) {
      log.append("a", id, List.of(pub("m" + id, null)), 0, 0, LIMITS);
    }
    assertArrayEquals(new long[] {1}, log.append("a", 1, List.of(pub("m1", null)), 0, 0, LIMITS));
    log.append("a", 99, List.of(pub("n", null)), 0, 0, LIMITS);
    assertEquals(RecentBatches.PER_NODE + 2, log.append("a", 1, List.of(pub("m1", null)), 0, 0, LIMITS)[0],
        "past its last " + RecentBatches.PER_NODE + " batches, the id is new again");
    log.batches.forget("a");
    assertEquals(0, log.batches.nodes());
  }

  @Test
  void aRepeatedKeyGetsTheFirstSeqAsADuplicateWithinTheTtl() {
    GroupLog log = new GroupLog("e1");
    assertArrayEquals(new long[] {1}, log.append("a", 1, List.of(pub("1", "k1")), 1_000, 1_000, LIMITS));
    assertArrayEquals(new long[] {2, -1}, log.append("b", 1, List.of(pub("2", "k2"), pub("1", "k1")), 2_000, 2_000, LIMITS));
    // past the ttl the key is forgotten: a new message
    assertArrayEquals(new long[] {3}, log.append("a", 2, List.of(pub("1", "k1")), 1_000 + 60_001, 0, LIMITS));
  }

  @Test
  void historyIsBoundedByCountAndTheSeqNeverGoesBack() {
    GroupLog log = new GroupLog("e1");
    LogLimits small = new LogLimits(3, 60_000, 1 << 20, 1000);
    for (long id = 1; id <= 5; id++) {
      log.append("a", id, List.of(pub("m" + id, null)), 0, 0, small);
    }
    assertEquals(5, log.lastSeq());
    assertEquals(3, log.firstHeld());
    assertEquals(3, log.messages.size());
  }

  @Test
  void theLastNodeLeavingALogThatNeverHeldAMessageFreesIt() {
    java.util.Map.Entry<String, GroupLog> entry = new java.util.AbstractMap.SimpleEntry<>("random-name", null);
    assertEquals("e1", new SubscribeOp("a", true, "e1", true).process(entry).epoch());
    new SubscribeOp("b", true, "e2", true).process(entry);
    new SubscribeOp("a", false, null, false).process(entry);
    assertEquals(List.of("b"), entry.getValue().subscribers, "another node still follows it");
    assertEquals(null, new SubscribeOp("b", false, null, false).process(entry).epoch());
    assertEquals(null, entry.getValue(), "freed");

    // a log that held a message keeps its epoch and seq for resumes, followed or not
    new SubscribeOp("a", true, "e3", true).process(entry);
    entry.getValue().append("a", 1, List.of(pub("m", null)), 0, 0, LIMITS);
    new SubscribeOp("a", false, null, false).process(entry);
    assertEquals(1, entry.getValue().lastSeq());
  }
}
