package dev.groupcast.bench;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * A member of one group that, whenever its connection drops, joins again with the {@code since} and
 * {@code epoch} it last saw, and notes when it dropped, when it had a connection again and when the
 * join came back {@code recovered:true}. Counts each message once per (publisher, number).
 */
final class StormSubscriber extends StormClient {

  /** A delivery's legs when its frame had no ts (a leg itself may be -1: see {@link #late}). */
  private static final long NO_TS = Long.MIN_VALUE;

  final String group;
  final BitSet[] seen;
  /**
   * Deliveries once the storm began: {received nanos, latency nanos, publisher, millis from the send to
   * the gateway's ts, millis from that ts to the receipt} each (the last two NO_TS when a frame has no ts;
   * a leg may be -1, the two clocks being read a millisecond apart).
   */
  private final List<long[]> late = new ArrayList<>();
  private String epoch;
  private long lastSeq;
  volatile long droppedAt;
  /** When the connection that resumed was opened (its join's answer came after). */
  volatile long reopenedAt;
  volatile long resumedAt;

  StormSubscriber(StormRun run, int index) {
    super(run, index);
    this.group = run.group(index % run.options.groups());
    this.seen = new BitSet[run.perPublisher.length];
    for (int p = 0; p < seen.length; p++) {
      seen[p] = new BitSet(run.perPublisher[p]);
    }
  }

  @Override
  void opened(BenchSocket socket) {
    if (droppedAt != 0 && resumedAt == 0) {
      reopenedAt = System.nanoTime();
    }
    join(socket);
  }

  /**
   * A join refused ({@code unavailable} just after a member's loss, {@code rate_limited}) is sent again
   * a second later on the same connection, as groupcast.js does.
   */
  @Override
  public void refused(BenchSocket socket, long id, String code) {
    run.vertx.setTimer(1000, t -> {
      if (!stopped && socket == this.socket) {
        join(socket);
      }
    });
  }

  private void join(BenchSocket socket) {
    JsonObject join = new JsonObject().put("type", "join").put("group", group).put("id", "0");
    if (epoch != null) {
      join.put("since", lastSeq).put("epoch", epoch);
    }
    socket.send(join.encode());
  }

  @Override
  void dropped(long nanos) {
    if (droppedAt == 0) {
      droppedAt = nanos;
    }
  }

  @Override
  public void joined(BenchSocket socket, long id, JsonObject frame) {
    boolean resuming = epoch != null;
    boolean recovered = frame.getBoolean("recovered", false);
    if (!resuming || !recovered) {
      if (resuming) {
        run.unrecovered.increment();
      }
      epoch = frame.getString("epoch");
      lastSeq = frame.getLong("seq", 0L);
    }
    if (resuming && recovered && droppedAt != 0 && resumedAt == 0) {
      resumedAt = System.nanoTime();
    }
    ready();
  }

  @Override
  public void reset(BenchSocket socket, JsonObject frame) {
    run.resets.increment();
    epoch = frame.getString("epoch");
    lastSeq = frame.getLong("seq", 0L);
  }

  @Override
  public void message(BenchSocket socket, String frame) {
    long now = System.nanoTime();
    int at = frame.indexOf("\"seq\":");
    if (at >= 0) {
      lastSeq = Math.max(lastSeq, numberAt(frame, at + 6));
    }
    BenchBody body = BenchBody.in(frame);
    if (body == null || body.publisher() >= seen.length) {
      return;
    }
    if (seen[body.publisher()].get(body.number())) {
      run.duplicates.increment();
      return;
    }
    seen[body.publisher()].set(body.number());
    run.latencies.record(now - body.sentNanos());
    run.deliveries.increment();
    run.lastProgressNanos.set(now);
    if (run.firstDropNanos.get() != 0) {
      long ts = gatewayTs(frame);
      late.add(new long[] {now, now - body.sentNanos(), body.publisher(),
          ts < 0 ? NO_TS : ts - run.wallMillis(body.sentNanos()), ts < 0 ? NO_TS : run.wallMillis(now) - ts});
    }
  }

  /**
   * The gateway's ts of a message frame (when the publish reached it, wall-clock millis), or -1. It
   * comes last in the frame, after the body.
   */
  static long gatewayTs(String frame) {
    int at = frame.lastIndexOf("\"ts\":");
    return at < 0 ? -1 : numberAt(frame, at + 5);
  }

  /** The whole number whose digits start at {@code from} in {@code frame}, or -1 if none do. */
  private static long numberAt(String frame, int from) {
    int end = from;
    while (end < frame.length() && Character.isDigit(frame.charAt(end))) {
      end++;
    }
    return end == from ? -1 : Long.parseLong(frame, from, end, 10);
  }

  /**
   * Adds the deliveries received within [from, to] from publishers that never dropped; of those sent in
   * the first second, also the two legs: to the gateway, and from it on (sequencing, fan-out, delivery).
   */
  void duringStorm(long from, long to, List<StormPublisher> publishers, Latencies into, List<Latencies> bySecondSent,
                   Latencies toGatewayFirstSecond, Latencies fromGatewayFirstSecond) {
    for (long[] d : late) {
      if (d[0] >= from && d[0] <= to && !publishers.get((int) d[2]).dropped) {
        into.record(d[1]);
        // by when the message was sent, counted from the first drop (one sent just before it counts in the
        // first second): what the failover costs, apart from the load after it
        long second = Math.max(0, (d[0] - d[1] - from) / 1_000_000_000L);
        if (second < bySecondSent.size()) {
          bySecondSent.get((int) second).record(d[1]);
        }
        if (second == 0 && d[3] != NO_TS) {
          toGatewayFirstSecond.record(d[3] * 1_000_000);
          fromGatewayFirstSecond.record(d[4] * 1_000_000);
        }
      }
    }
  }
}
