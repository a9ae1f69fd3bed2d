package dev.groupcast.bench;

import dev.groupcast.bench.BenchOptions.Protocol;
import dev.groupcast.bench.BenchOptions.Scenario;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Option parsing of {@code bench}, without servers: the rooms scenario's defaults and the fan-out spread. */
class BenchOptionsTest {

  static BenchOptions parse(String... args) {
    return BenchOptions.parse(args);
  }

  static String error(String... args) {
    return assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(args)).getMessage();
  }

  @Test
  void roomsIsFanoutWithManySmallGroups() {
    BenchOptions rooms = parse("rooms");
    assertEquals(Scenario.ROOMS, rooms.scenario());
    assertEquals(2000, rooms.subscribers());
    assertEquals(500, rooms.groups());
    assertEquals(100, rooms.publishers());
    assertEquals(4000, rooms.rate());
    assertEquals(60_000, rooms.messages(), "15 s at 4000/s");
    assertEquals(16, rooms.inflight());
    assertEquals(60, rooms.duration().toSeconds());
    assertEquals(List.of(), rooms.serverPids());
  }

  @Test
  void roomsSendsFifteenSecondsOfItsRateUnlessTold() {
    assertEquals(1500, parse("rooms", "--rate", "100").messages());
    assertEquals(60_000, parse("rooms", "--rate", "0").messages());
    assertEquals(7, parse("rooms", "--rate=100", "--messages=7").messages());
    BenchOptions small = parse("rooms", "--subscribers", "20", "--groups", "10", "--publishers", "4",
        "--protocol", "socketio", "--json");
    assertEquals(20, small.subscribers());
    assertEquals(10, small.groups());
    assertEquals(4, small.publishers());
    assertEquals(Protocol.SOCKETIO, small.protocol());
    assertTrue(small.json());
  }

  @Test
  void stormIsTheIssuesReconnectStormUnlessTold() {
    BenchOptions storm = parse("storm");
    assertEquals(Scenario.STORM, storm.scenario());
    assertEquals(5000, storm.subscribers());
    assertEquals(1000, storm.groups());
    assertEquals(50, storm.publishers());
    assertEquals(200, storm.rate());
    assertEquals(java.time.Duration.ofSeconds(40), storm.duration());
    assertEquals(8000, storm.messages(), "it publishes for its whole duration");
    assertEquals(1000, parse("storm", "--rate", "100", "--duration", "10s").messages());
    assertEquals("--rate 0: storm publishes at a rate (at least 1 a second)", error("storm", "--rate", "0"));
  }

  @Test
  void stormClientsBackOffAsGroupcastJsDoes() {
    // half the ceiling plus a random half: 125-250 ms first, doubling, at most 10 s
    assertEquals(125, StormClient.reconnectDelayMs(0, 0.0));
    assertEquals(250, StormClient.reconnectDelayMs(0, 1.0));
    assertEquals(500, StormClient.reconnectDelayMs(2, 0.0));
    assertEquals(10_000, StormClient.reconnectDelayMs(40, 1.0));
  }

  @Test
  void fanoutKeepsItsDefaults() {
    BenchOptions fanout = parse("fanout");
    assertEquals(200, fanout.subscribers());
    assertEquals(1, fanout.groups());
    assertEquals(1, fanout.publishers());
    assertEquals(2000, fanout.messages());
    assertEquals(0, fanout.rate());
  }

  @Test
  void serverPidsAreAListOfProcessIds() {
    assertEquals(List.of(12, 34, 56), parse("fanout", "--server-pids", "12,34", "--server-pids", "56").serverPids());
    assertEquals("--server-pids x: must be a whole number", error("rooms", "--server-pids", "12,x"));
    assertEquals("--server-pids 0: out of range 1-2147483647", error("rooms", "--server-pids", "0"));
    assertEquals("--server-pids is for the fanout and rooms scenarios", error("echo", "--server-pids", "1"));
  }

  @Test
  void badRoomsValuesAreOneLine() {
    assertEquals("--groups 600 is more than --subscribers 500", error("rooms", "--subscribers", "500", "--groups", "600"));
    assertEquals("--groups 501 is more than --subscribers 500", error("rooms", "--subscribers", "500", "--groups", "501"));
    assertEquals("--publishers 0: out of range 1-10000", error("rooms", "--publishers", "0"));
    assertEquals("--protocol socketio is for the fanout and rooms scenarios", error("echo", "--protocol", "socketio"));
    assertEquals("unknown scenario: room (echo, fanout, rooms, storm, connections)", error("room"));
  }

  @Test
  void theMembersOfEveryGroupTakeTheUrlsInTurn() {
    // the rooms shape over 2 nodes: 4 members a group, 2 on each node
    int groups = 500;
    int[][] perNode = new int[groups][2];
    for (int i = 0; i < 2000; i++) {
      perNode[i % groups][FanoutBench.subscriberUrl(i, groups, 2)]++;
    }
    for (int g = 0; g < groups; g++) {
      assertEquals(2, perNode[g][0], "group " + g);
      assertEquals(2, perNode[g][1], "group " + g);
    }
    // one group of 200 over 3 nodes: 67, 67, 66
    int[] nodes = new int[3];
    for (int i = 0; i < 200; i++) {
      nodes[FanoutBench.subscriberUrl(i, 1, 3)]++;
    }
    assertEquals(List.of(67, 67, 66), List.of(nodes[0], nodes[1], nodes[2]));
    // groups of 2 over 2 nodes with an even group count: still one member on each
    for (int g = 0; g < 4; g++) {
      assertTrue(FanoutBench.subscriberUrl(g, 4, 2) != FanoutBench.subscriberUrl(g + 4, 4, 2), "group " + g);
    }
  }

  @Test
  void publishersSendToDifferentGroupsAtOnce() {
    Set<Integer> groups = new HashSet<>();
    for (int p = 0; p < 100; p++) {
      groups.add(FanoutBench.groupOf(p, 7, 500));
    }
    assertEquals(100, groups.size(), "the 100 publishers' 8th messages go to 100 groups");
    assertEquals(0, FanoutBench.groupOf(3, 2, 5));
  }

  @Test
  void procStatTicksAreUserPlusSystemTime() {
    String stat = "1234 (java (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 40 0 99 0 0";
    assertEquals(325, ServerCpu.ticks(stat));
    assertEquals(75, ServerCpu.userAndSystem(stat)[1], "the kernel's part, stime");
  }

  @Test
  void publishersStartSpreadOverTheirPeriodNotTogether() {
    // 100 publishers at 1 msg/s each (rooms at 100 msg/s): one starts every 10 ms over the second
    Set<Long> starts = new HashSet<>();
    for (int p = 0; p < 100; p++) {
      long offset = FanoutBench.startOffsetNanos(p, 100, 1.0);
      assertTrue(offset >= 0 && offset < 1_000_000_000L, "within one period: " + offset);
      starts.add(offset / 10_000_000L);
    }
    assertEquals(100, starts.size(), "one per 10 ms slot");
    assertEquals(500_000_000L, FanoutBench.startOffsetNanos(1, 2, 1.0));
  }
}
