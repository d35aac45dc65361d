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
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link CxlTierBenchmark}'s comparisons for a machine shared with other work, where JMH's means
 * swing by more than the differences measured: the operations run interleaved, one call each in
 * turn, many rounds, and each is reported by its fastest and its median call, with the ratios of
 * the fastest calls (the calls least disturbed by other processes) to the plain copy's.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar
 * io.stratacache.bench.CxlTierRatios [rounds] [sizes in MiB...]} (default 200 rounds; 1 4 16 32).
 */
public final class CxlTierRatios {
  private CxlTierRatios() {}

  public static void main(String[] args) throws IOException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int[] sizes = args.length > 1 ? Arrays.stream(args).skip(1).mapToInt(Integer::parseInt).toArray()
        : new int[] {1, 4, 16, 32};
    for (int mib : sizes) {
      run(mib, rounds);
    }
  }

  private static void run(int mib, int rounds) throws IOException {
    long size = (long) mib << 20;
    Path dir = BenchFiles.scratch("cxl-ratios", true);
    try (Arena arena = Arena.ofShared()) {
      MemorySegment src = BenchFiles.pattern(arena.allocate(size, 4096));
      MemorySegment dst = arena.allocate(size, 4096);
      MemorySegment plain;
      try (FileChannel ch = FileChannel.open(dir.resolve("plain"), StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE)) {
        plain = ch.map(FileChannel.MapMode.READ_WRITE, 0, 2 * size, arena);
      }
      plain.fill((byte) 1);
      ArtifactMeta meta = ArtifactMeta.of(ArtifactType.KV_BLOCKS);
      ArtifactId stored = ArtifactId.of("bench", "stored");
      ArtifactId loaded = ArtifactId.of("bench", "loaded");
      CxlLayer once = CxlLayer.open(LayerSpec.of("once", "cxl",
          Map.of("path", dir.resolve("once").toString(), "capacity", 4 * size + (1 << 20))));
      CxlLayer always = CxlLayer.open(LayerSpec.of("always", "cxl",
          Map.of("path", dir.resolve("always").toString(), "capacity", 4 * size + (1 << 20), "verify", "always")));
      for (CxlLayer l : new CxlLayer[] {once, always}) {
        l.put(loaded, meta, src);
        l.put(stored, meta, src);
        l.put(stored, meta, src);
      }
      boolean[] other = {false};
      Map<String, Runnable> ops = new LinkedHashMap<>();
      ops.put("copyIn", () -> MemorySegment.copy(src, 0, plain, 0, size));
      ops.put("copyInAlternating", () -> MemorySegment.copy(src, 0, plain, (other[0] = !other[0]) ? size : 0, size));
      ops.put("store", () -> once.put(stored, meta, src));
      ops.put("copyOut", () -> MemorySegment.copy(plain, 0, dst, 0, size));
      ops.put("loadInto (once: get+copyTo)", () -> {
        try (Lease l = once.get(loaded)) {
          l.copyTo(dst);
        }
      });
      ops.put("loadInto (once: CxlLayer.loadInto)", () -> once.loadInto(loaded, dst));
      ops.put("loadInto (always: one pass)", () -> always.loadInto(loaded, dst));
      ops.put("loadInto (always: get+copyTo)", () -> {
        try (Lease l = always.get(loaded)) {
          l.copyTo(dst);
        }
      });
      ops.put("lease+close (once)", () -> {
        try (Lease l = once.get(loaded)) {
          l.segment();
        }
      });
      ops.put("lease+close (always)", () -> {
        try (Lease l = always.get(loaded)) {
          l.segment();
        }
      });
      String[] names = ops.keySet().toArray(String[]::new);
      Runnable[] bodies = ops.values().toArray(Runnable[]::new);
      long[][] nanos = new long[names.length][rounds];
      for (int w = 0; w < 5; w++) {
        for (Runnable r : bodies) {
          r.run();
        }
      }
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < bodies.length; i++) {
          long t0 = System.nanoTime();
          bodies[i].run();
          nanos[i][round] = System.nanoTime() - t0;
        }
      }
      once.close();
      always.close();
      double copyIn = best(nanos[0]);
      double copyOut = best(nanos[3]);
      System.out.printf("%d MiB, %d rounds (best / median us; ratio = baseline best / best)%n", mib, rounds);
      for (int i = 0; i < names.length; i++) {
        double baseline = i < 3 ? copyIn : copyOut;
        System.out.printf("  %-36s %10.1f / %10.1f   %5.2fx%n", names[i], best(nanos[i]) / 1e3, median(nanos[i]) / 1e3,
            names[i].startsWith("lease") ? Double.NaN : baseline / best(nanos[i]));
      }
    } finally {
      BenchFiles.delete(dir);
    }
  }

  private static double best(long[] xs) {
    return Arrays.stream(xs).min().orElseThrow();
  }

  private static double median(long[] xs) {
    long[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
