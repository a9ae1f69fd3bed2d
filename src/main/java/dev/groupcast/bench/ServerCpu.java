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
  private final long startTicks;

  ServerCpu(List<Integer> pids) {
    this.pids = pids;
    this.startTicks = pids.isEmpty() ? 0 : ticks();
  }

  /** Milliseconds of CPU used since creation, summed over the processes; 0 without any. */
  long usedMs() {
    return pids.isEmpty() ? 0 : (ticks() - startTicks) * 1000 / TICKS_PER_SECOND;
  }

  private long ticks() {
    long total = 0;
    for (int pid : pids) {
      try {
        total += ticks(Files.readString(Path.of("/proc", String.valueOf(pid), "stat"), StandardCharsets.US_ASCII));
      } catch (IOException e) {
        throw new IllegalStateException("--server-pids: cannot read /proc/" + pid + "/stat (" + e.getMessage() + ")");
      }
    }
    return total;
  }

  /** utime + stime, fields 14 and 15, counted after the ") " that ends the command name (which may hold spaces). */
  static long ticks(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(") ") + 2).trim().split(" ");
    // fields[0] is field 3 (the state), so field 14 is fields[11] and field 15 is fields[12]
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }
}
