package io.stratacache.bench;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.engine.StorageEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;

/**
 * CPU-tier store and loadInto with two threads on distinct artifacts against one thread, beside
 * the machine's own limit: a plain {@link MemorySegment#copy} of the same sizes with one and two
 * threads. Each thread works on its own artifacts (no shared id), for a fixed number of
 * operations; the figure is bytes per second over all threads, and the ratio two threads / one.
 * Target: 2 threads >= 1.8x one thread. Run: {@code java --enable-native-access=ALL-UNNAMED -cp
 * benchmarks/target/benchmarks.jar io.stratacache.bench.CpuTierScalingBenchmark [sizeKiB] [ops] [rounds]}.
 */
public final class CpuTierScalingBenchmark {
  private CpuTierScalingBenchmark() {}

  /** One measurement: bytes per second over {@code threads} threads doing {@code op}. */
  public record Rate(String op, int threads, double bytesPerSecond) {}

  private interface Op {
    void run(int thread, int i);
  }

  private static double measure(int threads, int ops, long bytesPerOp, Op op) throws Exception {
    CyclicBarrier start = new CyclicBarrier(threads + 1);
    CyclicBarrier end = new CyclicBarrier(threads + 1);
    List<Thread> ts = new ArrayList<>();
    Throwable[] failure = new Throwable[1];
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread th = Thread.ofPlatform().start(() -> {
        try {
          start.await();
          for (int i = 0; i < ops; i++) {
            op.run(thread, i);
          }
          end.await();
        } catch (Throwable e) {
          failure[0] = e;
        }
      });
      ts.add(th);
    }
    start.await();
    long t0 = System.nanoTime();
    end.await();
    long elapsed = System.nanoTime() - t0;
    for (Thread th : ts) {
      th.join();
    }
    if (failure[0] != null) {
      throw new IllegalStateException(failure[0]);
    }
    return (double) threads * ops * bytesPerOp / (elapsed / 1e9);
  }

  /** Rates for copy, store and loadInto with 1 and 2 threads; the median of {@code rounds}. */
  public static List<Rate> run(int size, int ops, int rounds) throws Exception {
    int perThread = 8;
    ArtifactMeta meta = ArtifactMeta.of(ArtifactType.CUSTOM);
    List<Rate> out = new ArrayList<>();
    try (Arena arena = Arena.ofShared();
        StorageEngine engine = StorageEngine.builder()
            .tier("cpu", "cpu", Map.of("capacity", (long) size * perThread * 2 * 2, "high_watermark", 1.0))
            .build()) {
      MemorySegment[] src = new MemorySegment[2];
      MemorySegment[] dst = new MemorySegment[2];
      MemorySegment[] slab = new MemorySegment[2];
      for (int t = 0; t < 2; t++) {
        src[t] = BenchFiles.pattern(arena.allocate(size, 64));
        dst[t] = arena.allocate(size, 64);
        dst[t].fill((byte) 1);
        slab[t] = arena.allocate((long) size * perThread, 64);
        slab[t].fill((byte) 1);
      }
      ArtifactId[][] ids = new ArtifactId[2][perThread];
      for (int t = 0; t < 2; t++) {
        for (int i = 0; i < perThread; i++) {
          ids[t][i] = ArtifactId.of("scale", t + "-" + i);
          engine.store(ids[t][i], meta, src[t]);
        }
      }
      Map<String, Op> ops2 = new java.util.LinkedHashMap<>();
      ops2.put("copy", (t, i) -> MemorySegment.copy(src[t], 0, slab[t], (long) (i % perThread) * size, size));
      ops2.put("store", (t, i) -> engine.store(ids[t][i % perThread], meta, src[t]));
      ops2.put("loadInto", (t, i) -> engine.loadInto(ids[t][i % perThread], dst[t]));
      for (Map.Entry<String, Op> e : ops2.entrySet()) {
        for (int threads = 1; threads <= 2; threads++) {
          double[] r = new double[rounds];
          for (int k = 0; k < rounds; k++) {
            r[k] = measure(threads, ops, size, e.getValue());
          }
          Arrays.sort(r);
          out.add(new Rate(e.getKey(), threads, r[rounds / 2]));
        }
      }
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    int size = (args.length > 0 ? Integer.parseInt(args[0]) : 1024) << 10;
    int ops = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    System.out.printf(Locale.ROOT, "%d CPUs; %d KiB per op, %d ops per thread, median of %d rounds%n",
        Runtime.getRuntime().availableProcessors(), size >> 10, ops, rounds);
    List<Rate> rates = run(size, ops, rounds);
    System.out.printf(Locale.ROOT, "%-9s %8s %12s %10s%n", "op", "threads", "GB/s", "2T/1T");
    for (int i = 0; i < rates.size(); i += 2) {
      Rate one = rates.get(i);
      Rate two = rates.get(i + 1);
      System.out.printf(Locale.ROOT, "%-9s %8d %12.2f%n", one.op(), 1, one.bytesPerSecond() / 1e9);
      System.out.printf(Locale.ROOT, "%-9s %8d %12.2f %10.2f%n", two.op(), 2, two.bytesPerSecond() / 1e9,
          two.bytesPerSecond() / one.bytesPerSecond());
    }
  }
}
