package dev.groupcast.group.log;

/**
 * Notices when this process stood still (SIGSTOP, a long GC pause, a starved container): a thread
 * that should tick every {@link #TICK_MS} and, when a tick came far too late, marks the next
 * {@link #SUSPECT_MS} as suspect. Right after such a stall the split-brain protection's view is stale,
 * so until then nothing this node learns about an append counts as confirmed, and nothing is read
 * from the groups' logs. One per process.
 */
final class Stalls {

  static final long TICK_MS = 100;
  /** A tick this late means the process stood still. */
  static final long STALL_MS = 1000;
  /**
   * How long after a stall the majority's view is not trusted. Hazelcast, seeing its clock jump,
   * resets every member's heartbeat time to now, so for a heartbeat tolerance the others look alive
   * although they dropped this node; an append that ran on the frozen node comes back after the
   * backup timeout (5 s). Past both, and Hazelcast's own removal of the members it no longer hears
   * (5 s), the view is true again.
   */
  static final long SUSPECT_MS = 10_000;

  private static volatile long lastTick = System.nanoTime();
  private static volatile long suspectUntil;

  static {
    Thread ticker = new Thread(Stalls::tick, "groupcast-stall-detector");
    ticker.setDaemon(true);
    ticker.start();
  }

  private Stalls() {
  }

  private static void tick() {
    while (true) {
      try {
        Thread.sleep(TICK_MS); // a clock, not a wait for anything
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      if (now - lastTick > STALL_MS * 1_000_000) {
        suspectUntil = now + SUSPECT_MS * 1_000_000;
      }
      lastTick = now;
    }
  }

  /**
   * Whether the process stood still lately, or is standing still now (the ticker has not caught up
   * yet: after a SIGCONT any thread may run first).
   */
  static boolean recent() {
    long now = System.nanoTime();
    return now - lastTick > STALL_MS * 1_000_000 || now < suspectUntil;
  }
}
