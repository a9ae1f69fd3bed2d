package dev.groupcast.group;

import dev.groupcast.group.log.LogMessage;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A member gets each seq once, in order, whether messages come one by one, as a run of consecutive
 * messages (one write when it has none of them), or from history while it catches up.
 */
class MemberTest {

  private final Recording out = new Recording();
  private final Member member = new Member(new Session(out, null,
      new Session.Settings("node", 65_536, 100, 100, 10), null, null), "g");

  @Test
  void aLiveMemberGetsARunInOneWrite() {
    member.goLive(4);
    member.deliver(run(5, 8));
    assertEquals(List.of("run 5-8"), out.writes);
    assertEquals(List.of(5L, 6L, 7L, 8L), out.seqs);
  }

  @Test
  void aMemberAlreadyPastPartOfARunGetsOnlyTheRestOnce() {
    member.goLive(6);
    member.deliver(run(5, 8));
    member.deliver(run(7, 9)); // delivered before: only 9 is new
    assertEquals(List.of(7L, 8L, 9L), out.seqs);
    member.deliver(run(3, 9));
    assertEquals(List.of(7L, 8L, 9L), out.seqs, "nothing twice");
    member.deliver(run(10, 11));
    assertEquals(List.of(7L, 8L, 9L, 10L, 11L), out.seqs);
    assertEquals("run 10-11", out.writes.get(out.writes.size() - 1));
  }

  @Test
  void aRunArrivingWhileCatchingUpFollowsTheHistoryWithoutRepeats() {
    member.startCatchUp(2);
    member.deliver(run(4, 7)); // live, while history is read
    assertEquals(List.of(), out.seqs, "held until history is sent");
    List<LogMessage> history = new ArrayList<>();
    for (long seq = 3; seq <= 5; seq++) {
      history.add(new LogMessage(seq, 0, 0, "p", "\"m" + seq + "\"", null));
    }
    member.replay(history);
    assertEquals(List.of(3L, 4L, 5L, 6L, 7L), out.seqs);
  }

  /** Messages seq {@code from} to {@code to}, as a feed hands them on. */
  private static FrameRun run(long from, long to) {
    FrameRun.Builder run = new FrameRun.Builder(1);
    for (long seq = from; seq <= to; seq++) {
      run.add(seq, Frames.message("g", seq, "p", "\"m" + seq + "\"", 0));
    }
    return run.build();
  }

  /** A transport that records what was written, and how: one frame or a run. */
  private static final class Recording implements Outbound {

    final List<String> writes = new ArrayList<>();
    final List<Long> seqs = new ArrayList<>();

    @Override
    public void send(OutFrame frame) {
      long seq = new JsonObject(frame.text()).getLong("seq");
      writes.add("frame " + seq);
      seqs.add(seq);
    }

    @Override
    public void send(FrameRun run) {
      long first = new JsonObject(run.frame(0).text()).getLong("seq");
      long last = new JsonObject(run.frame(run.size() - 1).text()).getLong("seq");
      writes.add("run " + first + "-" + last);
      for (int i = 0; i < run.size(); i++) {
        seqs.add(new JsonObject(run.frame(i).text()).getLong("seq"));
      }
    }

    @Override
    public void close(int code, String reason) {
    }

    @Override
    public String transport() {
      return "test";
    }
  }
}
