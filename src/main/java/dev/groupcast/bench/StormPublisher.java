package dev.groupcast.bench;

import java.util.BitSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Sends its share of the messages at its rate, each with a key: what is unanswered when the connection
 * drops, or answered {@code unavailable} (or {@code rate_limited}), goes again with the same key, so
 * the server stores each once. Messages due while disconnected wait for the next connection.
 */
final class StormPublisher extends StormClient {

  final int count;
  final BitSet acks;
  private final BitSet waiting;
  private final long[] sentAt;
  private boolean connected;
  private int next;
  volatile boolean dropped;

  StormPublisher(StormRun run, int index) {
    super(run, index);
    this.count = run.perPublisher[index];
    this.acks = new BitSet(count);
    this.waiting = new BitSet(count);
    this.sentAt = new long[count];
  }

  @Override
  void opened(BenchSocket socket) {
    connected = true;
    for (int n = waiting.nextSetBit(0); n >= 0; n = waiting.nextSetBit(n + 1)) {
      run.resent.increment();
      send(n);
    }
    ready();
  }

  @Override
  void dropped(long nanos) {
    connected = false;
    dropped = true;
  }

  void publish(long startNanos) {
    double perSecond = (double) run.options.rate() / run.options.publishers();
    long offset = FanoutBench.startOffsetNanos(index, run.options.publishers(), perSecond);
    context.runOnContext(v -> run.vertx.setPeriodic(5, id -> {
      int due = FanoutBench.dueBy(System.nanoTime() - startNanos - offset, perSecond, count);
      while (next < due) {
        int n = next++;
        sentAt[n] = System.nanoTime();
        waiting.set(n);
        if (connected) {
          send(n);
        }
      }
      if (next >= count || stopped) {
        run.vertx.cancelTimer(id);
      }
    }));
  }

  private void send(int n) {
    socket.publish(run.group(FanoutBench.groupOf(index, n, run.options.groups())),
        BenchBody.text(index, n, sentAt[n], run.padding), n, "storm-" + run.runId + "-" + index + "-" + n);
  }

  @Override
  public void acked(BenchSocket socket, long id) {
    int n = (int) id;
    if (acks.get(n)) {
      run.duplicateAcks.increment();
      return;
    }
    acks.set(n);
    waiting.clear(n);
    run.acked.increment();
    run.lastProgressNanos.set(System.nanoTime());
  }

  @Override
  public void refused(BenchSocket socket, long id, String code) {
    if (id < 0 || id >= count || acks.get((int) id)) {
      return;
    }
    run.vertx.setTimer(500 + ThreadLocalRandom.current().nextLong(500), t -> {
      if (connected && this.socket == socket && waiting.get((int) id)) {
        run.resent.increment();
        send((int) id);
      }
    });
  }
}
