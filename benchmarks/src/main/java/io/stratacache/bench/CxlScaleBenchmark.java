package io.stratacache.bench;

import io.stratacache.backend.cxl.CxlLayer;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The CXL tier at scale: for 10K, 100K and 300K artifacts of 4 KiB in a {@code /dev/shm} region
 * sized for them (with {@code expected_artifact_size: 4KiB}), the store rate, heap per indexed
 * artifact after the stores and after a reopen (the id objects included, and the id text alone
 * for comparison), the reopen time, and lease + close of a random artifact.
 *
 * <p>A plain program, not JMH: each figure is one timed pass over many operations, repeated per
 * size. Run: {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar
 * io.stratacache.bench.CxlScaleBenchmark [counts...]} (default 10000 100000 300000).
 */
public final class CxlScaleBenchmark {
  private static final int PAYLOAD = 4096;
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private CxlScaleBenchmark() {}

  public static void main(String[] args) throws IOException {
    int[] counts = args.length == 0 ? new int[] {10_000, 100_000, 300_000} : java.util.Arrays.stream(args)
        .mapToInt(Integer::parseInt).toArray();
    System.out.println("Wall-clock and (in brackets) this thread's CPU time; on a shared machine the CPU time is the"
        + " steadier figure.");
    System.out.println("artifacts | store us/artifact | heap B/artifact after stores | after reopen | id text B"
        + " | reopen ms | lease+close us");
    for (int n : counts) {
      run(n);
    }
  }

  private static void run(int n) throws IOException {
    Path dir = BenchFiles.scratch("cxl-scale", true);
    Path region = dir.resolve("region");
    Map<String, Object> settings = Map.of("path", region.toString(), "capacity", (long) n * 2 * PAYLOAD + (16L << 20),
        "expected_artifact_size", PAYLOAD);
    ArtifactMeta meta = ArtifactMeta.of(ArtifactType.KV_BLOCKS);
    MemorySegment payload = Arena.ofAuto().allocate(PAYLOAD);
    BenchFiles.pattern(payload);
    ArtifactId[] ids = new ArtifactId[n];
    for (int i = 0; i < n; i++) {
      ids[i] = ArtifactId.of("kv", "model-7b", String.format("%016x", i * 0x9E3779B97F4A7C15L));
    }
    long idText = 0;
    for (ArtifactId id : ids) {
      idText += 2L * id.value().length(); // the String's bytes and the id's UTF-8 copy (Latin-1 text)
    }
    try {
      long before = usedHeap();
      CxlLayer layer = CxlLayer.open(LayerSpec.of("scale", "cxl", settings));
      long t0 = System.nanoTime();
      long c0 = cpu();
      for (ArtifactId id : ids) {
        layer.put(id, meta, payload);
      }
      double storeUs = (System.nanoTime() - t0) / 1e3 / n;
      double storeCpuUs = (cpu() - c0) / 1e3 / n;
      long afterStores = usedHeap() - before;
      layer.close();

      long beforeReopen = usedHeap();
      long t1 = System.nanoTime();
      long c1 = cpu();
      CxlLayer reopened = CxlLayer.open(LayerSpec.of("scale", "cxl", settings));
      double reopenMs = (System.nanoTime() - t1) / 1e6;
      double reopenCpuMs = (cpu() - c1) / 1e6;
      long afterReopen = usedHeap() - beforeReopen;
      if (reopened.recoveredArtifacts() != n) {
        throw new IllegalStateException("reopened " + reopened.recoveredArtifacts() + " of " + n + " artifacts");
      }
      SplittableRandom random = new SplittableRandom(42);
      int ops = 200_000;
      for (int i = 0; i < ops; i++) { // warm up, and checks each commit once (verify: once)
        try (Lease l = reopened.get(ids[random.nextInt(n)])) {
          l.segment();
        }
      }
      long t2 = System.nanoTime();
      long c2 = cpu();
      for (int i = 0; i < ops; i++) {
        try (Lease l = reopened.get(ids[random.nextInt(n)])) {
          l.segment();
        }
      }
      double leaseUs = (System.nanoTime() - t2) / 1e3 / ops;
      double leaseCpuUs = (cpu() - c2) / 1e3 / ops;
      reopened.close();
      System.out.printf("%9d | %8.2f (%6.2f) | %28d | %12d | %9d | %5.0f (%5.0f) | %6.2f (%5.2f)%n", n, storeUs,
          storeCpuUs, afterStores / n, afterReopen / n, idText / n, reopenMs, reopenCpuMs, leaseUs, leaseCpuUs);
    } finally {
      BenchFiles.delete(dir);
    }
  }

  private static long cpu() {
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return MEMORY.getHeapMemoryUsage().getUsed();
  }
}
