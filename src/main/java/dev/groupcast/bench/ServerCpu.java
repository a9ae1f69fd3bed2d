package dev.groupcast.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code --server-pids}: the CPU time (user + system, all threads) that local server processes used
 * between this object's creation and {@link #usedMs()}, read from Linux's {@code /proc/PID/stat}, so
 * a comparison counts what the servers spent while messages flowed and not on connecting the clients.
 */
final class ServerCpu {

  /** Linux reports these times in USER_HZ ticks, 100 a second on every architecture's user ABI. */
  private static final int TICKS_PER_SECOND = 100;

  private final List<Integer> pids;
  /** {user, system} ticks at creation, summed over the processes. */
  private final long[] start;
  private long[] last;

  ServerCpu(List<Integer> pids) {
    this.pids = pids;
    this.start = pids.isEmpty() ? new long[2] : ticks();
    this.last = start;
  }

  /**
   * Milliseconds of CPU used since creation, summed over the processes; 0 without any. Also takes the
   * reading that {@link #systemMs()} reports.
   */
  long usedMs() {
    if (pids.isEmpty()) {
      return 0;
    }
    last = ticks();
    return (last[0] + last[1] - start[0] - start[1]) * 1000 / TICKS_PER_SECOND;
  }

  /**
   * Of {@link #usedMs()}'s last reading, the milliseconds spent in the kernel (system time: the sockets'
   * reads and writes, the TCP stack, waking and switching threads): what only fewer system calls and
   * fewer hand-offs between threads lower.
   */
  long systemMs() {
    return (last[1] - start[1]) * 1000 / TICKS_PER_SECOND;
  }

  private long[] ticks() {
    long[] total = new long[2];
    for (int pid : pids) {
      try {
        long[] each = userAndSystem(Files.readString(Path.of("/proc", String.valueOf(pid), "stat"), StandardCharsets.US_ASCII));
        total[0] += each[0];
        total[1] += each[1];
      } catch (IOException e) {
        throw new IllegalStateException("--server-pids: cannot read /proc/" + pid + "/stat (" + e.getMessage() + ")");
      }
    }
    return total;
  }

  /** utime + stime, fields 14 and 15, counted after the ") " that ends the command name (which may hold spaces). */
  static long ticks(String stat) {
    long[] each = userAndSystem(stat);
    return each[0] + each[1];
  }

  /** {utime, stime}: fields 14 and 15 of a /proc/PID/stat line. */
  static long[] userAndSystem(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(") ") + 2).trim().split(" ");
    // fields[0] is field 3 (the state), so field 14 is fields[11] and field 15 is fields[12]
    return new long[] {Long.parseLong(fields[11]), Long.parseLong(fields[12])};
  }
}
