package io.stratacache.bench;

import io.stratacache.backend.ssd.SsdLayer;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The SSD tier at scale, for 10K, 100K and 300K records of 4 KiB (or the counts given as
 * arguments): store rate, reopen time from the persisted index and, as the baseline in the same
 * run, from a scan of every record header (the index deleted), as wall time and as CPU time of all
 * threads (less sensitive to a loaded machine); heap per indexed artifact after a
 * reopen (less the id's text), the bytes allocated while opening against the live index, and the
 * space on disk against the payload bytes. A plain {@code main}, not JMH: each figure is one
 * process-level event (a reopen is the median of five).
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -Xmx4g -cp benchmarks/target/benchmarks.jar
 * io.stratacache.bench.SsdScaleBenchmark [N ...]}. Files go under {@code -Dbench.dir} (default the
 * temporary directory), with {@code fsync: never}.
 */
public final class SsdScaleBenchmark {
  private static final int PAYLOAD = 4096;
  private static final int REOPENS = 5;

  private SsdScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    int[] counts = args.length == 0 ? new int[] {10_000, 100_000, 300_000} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    System.out.printf(Locale.ROOT, "%8s %9s %10s %10s %7s %11s %11s %9s %11s %10s %8s%n", "records", "store us",
        "reopen ms", "scan ms", "ratio", "reopen cpu", "scan cpu", "heap B/a", "alloc/live", "logical x", "disk x");
    for (int n : counts) {
      run(n);
    }
  }

  private static void run(int n) throws Exception {
    Path dir = BenchFiles.scratch("ssd-scale", false);
    Map<String, Object> settings = new HashMap<>();
    settings.put("path", dir.resolve("tier").toString());
    settings.put("capacity", (long) n * 8192 + (1L << 30));
    settings.put("fsync", "never");
    LayerSpec spec = LayerSpec.of("scale", "ssd", settings);
    ArtifactMeta meta = ArtifactMeta.of(ArtifactType.KV_BLOCKS);
    long idTextBytes = 0;
    double storeMicros;
    try (Arena arena = Arena.ofConfined(); SsdLayer layer = (SsdLayer) LayerProviders.forName("ssd").open(spec)) {
      MemorySegment payload = BenchFiles.pattern(arena.allocate(PAYLOAD, 64));
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        ArtifactId id = id(i);
        layer.put(id, meta, payload);
        int len = id.value().getBytes(StandardCharsets.UTF_8).length;
        idTextBytes += 2 * align8(16 + len); // the String's bytes and the id's UTF-8 copy
      }
      storeMicros = (System.nanoTime() - t0) / 1e3 / n;
    }
    long[] space = space(dir.resolve("tier"));
    double logical = space[0] / ((double) n * PAYLOAD);
    double disk = space[1] / ((double) n * PAYLOAD);

    long[] reopen = new long[REOPENS];
    long[] reopenCpu = new long[REOPENS];
    long heapPerArtifact = 0;
    double allocPerLive = 0;
    for (int r = 0; r < REOPENS; r++) {
      gc();
      long before = usedHeap();
      long allocBefore = allocatedAllThreads();
      long cpu0 = cpuAllThreads();
      long t0 = System.nanoTime();
      SsdLayer layer = (SsdLayer) LayerProviders.forName("ssd").open(spec);
      reopen[r] = System.nanoTime() - t0;
      reopenCpu[r] = cpuAllThreads() - cpu0;
      long allocated = allocatedAllThreads() - allocBefore;
      if (layer.recoveredArtifacts() != n) {
        throw new IllegalStateException("reopened " + layer.recoveredArtifacts() + " of " + n);
      }
      gc();
      long live = usedHeap() - before;
      heapPerArtifact = (live - idTextBytes) / n;
      allocPerLive = (allocated - live) / (double) live;
      layer.close();
    }
    long[] scan = new long[REOPENS];
    long[] scanCpu = new long[REOPENS];
    for (int r = 0; r < REOPENS; r++) {
      Files.deleteIfExists(dir.resolve("tier").resolve("index.journal"));
      long cpu0 = cpuAllThreads();
      long t0 = System.nanoTime();
      try (SsdLayer layer = (SsdLayer) LayerProviders.forName("ssd").open(spec)) {
        scan[r] = System.nanoTime() - t0;
        scanCpu[r] = cpuAllThreads() - cpu0;
        if (layer.recoveredArtifacts() != n) {
          throw new IllegalStateException("scanned " + layer.recoveredArtifacts() + " of " + n);
        }
      }
    }
    double reopenMs = median(reopen) / 1e6;
    double scanMs = median(scan) / 1e6;
    System.out.printf(Locale.ROOT, "%8d %9.1f %10.1f %10.1f %7.3f %11.1f %11.1f %9d %11.2f %10.4f %8.4f%n", n, storeMicros,
        reopenMs, scanMs, reopenMs / scanMs, median(reopenCpu) / 1e6, median(scanCpu) / 1e6, heapPerArtifact, allocPerLive,
        logical, disk);
    System.out.printf(Locale.ROOT, "         reopen ms, each run: %s; scan ms, each run: %s%n", millis(reopen), millis(scan));
    BenchFiles.delete(dir);
  }

  private static ArtifactId id(int i) {
    return ArtifactId.of("kv", "llama-3-8b", "chunk-" + i);
  }

  private static long align8(long n) {
    return (n + 7) & ~7L;
  }

  /** Sum of the record files' lengths and of the disk blocks they hold ({@code du}). */
  private static long[] space(Path root) throws IOException, InterruptedException {
    long logical;
    try (Stream<Path> s = Files.walk(root)) {
      logical = s.filter(p -> p.getFileName().toString().endsWith(".scr")).mapToLong(p -> p.toFile().length()).sum();
    }
    long disk = -1;
    Process du = new ProcessBuilder("du", "-s", "--block-size=1", root.toString()).redirectErrorStream(true).start();
    String out = new String(du.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (du.waitFor() == 0) {
      disk = Long.parseLong(out.split("\\s+")[0]);
    }
    return new long[] {logical, disk};
  }

  private static String millis(long[] nanos) {
    StringBuilder sb = new StringBuilder();
    for (long v : nanos) {
      sb.append(sb.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", v / 1e6));
    }
    return sb.toString();
  }

  private static double median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static void gc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
  }

  private static long usedHeap() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** CPU time so far of every live thread (the opener and the pool that lists directories). */
  private static long cpuAllThreads() {
    java.lang.management.ThreadMXBean t = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (long id : t.getAllThreadIds()) {
      long c = t.getThreadCpuTime(id);
      if (c > 0) {
        sum += c;
      }
    }
    return sum;
  }

  /** Bytes allocated so far by every live thread (the opener and the pool that lists directories). */
  private static long allocatedAllThreads() {
    com.sun.management.ThreadMXBean t = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (long a : t.getThreadAllocatedBytes(t.getAllThreadIds())) {
      if (a > 0) {
        sum += a;
      }
    }
    return sum;
  }
}
