package io.stratacache.bench;

import io.stratacache.config.LinkMode;
import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.engine.StorageEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Store latency of a CPU -> SSD ({@code fsync: always}) chain over a workload larger than the CPU
 * tier, with the engine's maintenance off ({@code high_watermark: 1.0}: a store that finds the
 * CPU tier full evicts, and writes a dirty victim into the SSD tier, itself) and on (the default
 * watermarks, 0.95 / 0.85: the background thread evicts ahead), in the same run, alternating.
 *
 * <p>The link is write-back with a one-second flush interval (stores of one id within a second
 * are written once), so victims are often dirty when the CPU tier fills; stores are paced at a
 * rate the SSD tier sustains, so that the figure is the wait a store sees, not a backlog.
 * Reports p50, p99 and max per mode, the evictions made ahead by maintenance and those a store
 * made itself, and the on/off ratios. Run: {@code java
 * --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar
 * io.stratacache.bench.MaintenanceLatencyBenchmark [cpuMiB] [artifactKiB] [stores] [pauseMicros] [rounds]}.
 */
public final class MaintenanceLatencyBenchmark {
  private MaintenanceLatencyBenchmark() {}

  /** p50, p99 and max store latency of one run, in microseconds. */
  public record Latency(String mode, double p50, double p99, double max, long aheadEvictions, long storeEvictions) {}

  /**
   * Stores {@code stores} artifacts of {@code artifactBytes} into a chain whose CPU tier holds
   * {@code cpuBytes}, pausing {@code pauseNanos} between stores; maintenance on or off.
   */
  public static Latency run(boolean maintenance, long cpuBytes, int artifactBytes, int stores, long pauseNanos) {
    Path dir = BenchFiles.scratch("maint-bench", false);
    ArtifactMeta meta = ArtifactMeta.of(ArtifactType.CUSTOM);
    long[] nanos = new long[stores];
    long ahead;
    long all;
    WritebackConfig wb = WritebackConfig.builder().flushInterval(Duration.ofSeconds(1)).build();
    try (StorageEngine engine = StorageEngine.builder()
            .tier("cpu", "cpu", Map.of("capacity", cpuBytes, "high_watermark", maintenance ? 0.95 : 1.0,
                "low_watermark", maintenance ? 0.85 : 0.9))
            .tier("ssd", "ssd", Map.of("path", dir.toString(), "capacity", Math.max(4 * (long) artifactBytes * stores, 64L << 20),
                "fsync", "always"))
            .link("cpu", "ssd", LinkMode.WRITE_BACK)
            .writeback(wb)
            .build();
        Arena arena = Arena.ofConfined()) {
      MemorySegment payload = BenchFiles.pattern(arena.allocate(artifactBytes, 64));
      for (int i = 0; i < stores; i++) {
        ArtifactId id = ArtifactId.of("maint", "a" + i);
        long t0 = System.nanoTime();
        engine.store(id, meta, payload);
        nanos[i] = System.nanoTime() - t0;
        if (pauseNanos > 0) {
          LockSupport.parkNanos(pauseNanos);
        }
      }
      ahead = engine.stats().aheadEvictions();
      all = engine.stats().tier("cpu").evictions();
    } finally {
      BenchFiles.delete(dir);
    }
    // the stores that fill the empty CPU tier are not under pressure: count those after it is full
    int skip = (int) Math.min(stores - 1, cpuBytes / artifactBytes);
    long[] tail = Arrays.copyOfRange(nanos, skip, stores);
    Arrays.sort(tail);
    return new Latency(maintenance ? "on" : "off", pct(tail, 0.50) / 1e3, pct(tail, 0.99) / 1e3, tail[tail.length - 1] / 1e3, ahead, all - ahead);
  }

  private static double pct(long[] sorted, double q) {
    return sorted[(int) Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
  }

  public static void main(String[] args) {
    long cpuBytes = (args.length > 0 ? Long.parseLong(args[0]) : 32) << 20;
    int artifactBytes = (args.length > 1 ? Integer.parseInt(args[1]) : 256) << 10;
    int stores = args.length > 2 ? Integer.parseInt(args[2]) : (int) (4 * cpuBytes / artifactBytes);
    long pause = (args.length > 3 ? Long.parseLong(args[3]) : 1000) * 1000;
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
    System.out.printf(Locale.ROOT, "CPU %d MiB -> SSD (fsync always, write-back, flush interval 1 s); %d stores of %d KiB, %d us apart%n",
        cpuBytes >> 20, stores, artifactBytes >> 10, pause / 1000);
    List<Latency> off = new ArrayList<>();
    List<Latency> on = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      off.add(run(false, cpuBytes, artifactBytes, stores, pause));
      on.add(run(true, cpuBytes, artifactBytes, stores, pause));
    }
    System.out.printf(Locale.ROOT, "%-6s %-5s %10s %10s %10s %8s %8s%n", "round", "mode", "p50 us", "p99 us", "max us", "ahead",
        "by store");
    for (int r = 0; r < rounds; r++) {
      for (Latency l : List.of(off.get(r), on.get(r))) {
        System.out.printf(Locale.ROOT, "%-6d %-5s %10.1f %10.1f %10.1f %8d %8d%n", r, l.mode(), l.p50(), l.p99(), l.max(), l.aheadEvictions(),
            l.storeEvictions());
      }
      System.out.printf(Locale.ROOT, "%-6d %-5s %10.3f %10.3f %10s%n", r, "on/off", on.get(r).p50() / off.get(r).p50(),
          on.get(r).p99() / off.get(r).p99(), "");
    }
  }
}
