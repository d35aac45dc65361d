package io.stratacache.cli.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Throughput of {@code store} and {@code loadInto} against artifact size, one series per
 * implementation: each tier of the engine beside the limit it is read against (the plain copy for
 * memory, a raw file write and read for the SSD tier, raw Lettuce for the Redis tier), and
 * Ehcache 3 off-heap and Caffeine, the caches a user would otherwise reach for.
 *
 * <p>Method. Per size, every implementation stores the same patterned bytes once and must give
 * them back exactly; then each runs each operation for the warm-up time; then every round
 * measures every implementation in turn (one sample of each operation: as many operations as fit
 * in the sample time, at least one), so drift on a shared machine hits all of them alike, and the
 * ratio to a baseline is taken round by round. After the rounds each must still give the bytes
 * back. An implementation that fails is dropped for that size with a note; the others go on.
 */
final class ThroughputBench {
  static final String STORE = "throughput-store";
  static final String LOAD = "throughput-load";
  static final String CPU = "CPU tier";
  static final String CXL = "CXL tier (shared memory)";
  static final String SSD = "SSD tier (fsync never)";
  static final String REDIS = "Redis tier";

  private final BenchPlan plan;
  private final BenchResults results;
  private final BenchProgress progress;
  private final Path scratch;

  ThroughputBench(BenchPlan plan, BenchResults results, BenchProgress progress, Path scratch) {
    this.plan = plan;
    this.results = results;
    this.progress = progress;
    this.scratch = scratch;
  }

  /** Runs the section; the Redis series only when {@code redis-server} is on the PATH and starts. */
  void run() {
    results.add(new ChartSpec(STORE, "store throughput against artifact size", "artifact size (KiB, log scale)", "GB/s (log scale)", "KiB",
        "GB/s", true, true));
    results.add(new ChartSpec(LOAD, "loadInto throughput against artifact size", "artifact size (KiB, log scale)", "GB/s (log scale)", "KiB",
        "GB/s", true, true));
    results.baseline(CPU, MemoryContenders.COPY);
    results.baseline(CXL, MemoryContenders.COPY);
    results.baseline(MemoryContenders.EHCACHE, MemoryContenders.COPY);
    results.baseline(MemoryContenders.CAFFEINE, MemoryContenders.COPY);
    results.baseline(SSD, RawFile.NAME);
    RedisServer redis = startRedis();
    try {
      if (redis != null) {
        results.baseline(REDIS, RedisServer.Lettuce.NAME);
      }
      List<Factory> factories = factories(redis);
      long total = (long) factories.size() * plan.rounds() * plan.sizes().size();
      long step = 0;
      progress.update("throughput", 0, total);
      for (long size : plan.sizes()) {
        try (Arena arena = Arena.ofShared(); Scratch dirs = new Scratch(scratch, size)) {
          measure(arena, size, dirs, factories, done -> progress.update("throughput", done, total), step);
        }
        step += (long) factories.size() * plan.rounds();
        progress.update("throughput", step, total);
      }
    } finally {
      if (redis != null) {
        redis.close();
      }
    }
  }

  private RedisServer startRedis() {
    Path exe = RedisServer.executable();
    if (exe == null) {
      results.note("Redis tier and raw Lettuce: not measured (no redis-server on the PATH; on Debian: apt-get install redis-server).");
      return null;
    }
    try {
      Path dir = Files.createDirectories(scratch.resolve("redis"));
      return RedisServer.start(exe, dir);
    } catch (IOException | RuntimeException e) {
      results.note("Redis tier and raw Lettuce: not measured (" + exe + " did not start: " + e.getMessage() + ").");
      return null;
    }
  }

  /** Directories of one size's durable contenders, deleted when closed. */
  private static final class Scratch implements AutoCloseable {
    final Path files;
    final Path shm;

    Scratch(Path scratch, long size) {
      try {
        files = Files.createDirectories(scratch.resolve("files-" + size));
        Path devShm = Path.of("/dev/shm");
        shm = Files.isDirectory(devShm) && Files.isWritable(devShm)
            ? Files.createTempDirectory(devShm, "stratacache-bench-") : Files.createDirectories(scratch.resolve("shm-" + size));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the benchmark's scratch directories under " + scratch, e);
      }
    }

    @Override
    public void close() {
      BenchReport.deleteTree(files);
      BenchReport.deleteTree(shm);
    }
  }

  /** Opens a contender for artifacts of {@code size} bytes, its files in {@code dirs}. */
  private interface Opener {
    Contender open(long size, Scratch dirs);
  }

  /** A contender's series name and how to open it. */
  private record Factory(String name, Opener opener) {}

  private static List<Factory> factories(RedisServer redis) {
    List<Factory> f = new ArrayList<>();
    f.add(new Factory(MemoryContenders.COPY, (size, dirs) -> new MemoryContenders.Copy(size)));
    f.add(new Factory(CPU, (size, dirs) -> new MemoryContenders.Engine(CPU, "cpu", Map.of("capacity", 4 * size))));
    f.add(new Factory(CXL, (size, dirs) -> new MemoryContenders.Engine(CXL, "cxl",
        Map.of("path", dirs.shm.resolve("region").toString(), "capacity", 4 * size + (1 << 20)))));
    f.add(new Factory(RawFile.NAME, (size, dirs) -> new RawFile(dirs.files)));
    f.add(new Factory(SSD, (size, dirs) -> new MemoryContenders.Engine(SSD, "ssd",
        Map.of("path", dirs.files.resolve("tier").toString(), "capacity", 8 * size, "fsync", "never"))));
    f.add(new Factory(MemoryContenders.EHCACHE, (size, dirs) -> MemoryContenders.asContender(MemoryContenders.EHCACHE,
        MemoryContenders.OffHeapEhcache.viewing(4 * size + (1 << 20)))));
    f.add(new Factory(MemoryContenders.CAFFEINE, (size, dirs) -> MemoryContenders.asContender(MemoryContenders.CAFFEINE,
        new MemoryContenders.CaffeineBytes(4 * size))));
    if (redis != null) {
      f.add(new Factory(RedisServer.Lettuce.NAME, (size, dirs) -> redis.new Lettuce()));
      f.add(new Factory(REDIS, (size, dirs) -> new MemoryContenders.Engine(REDIS, "redis",
          Map.of("uri", redis.uri(), "key_prefix", "bench" + size + ":", "command_timeout_ms", 60_000))));
    }
    return f;
  }

  private void measure(Arena arena, long size, Scratch dirs, List<Factory> factories, Consumer<Long> done, long step0) {
    MemorySegment src = MemoryContenders.patterned(MemoryContenders.pretouched(arena, size));
    MemorySegment dst = MemoryContenders.pretouched(arena, size);
    Map<Contender, double[][]> samples = new LinkedHashMap<>();
    try {
      for (Factory factory : factories) {
        Contender c = null;
        try {
          c = factory.opener().open(size, dirs);
          c.store(src);
          check(c, src, dst);
          samples.put(c, new double[2][plan.rounds()]);
        } catch (RuntimeException e) {
          drop(factory.name(), c, size, e);
        }
      }
      for (Contender c : List.copyOf(samples.keySet())) {
        try {
          sample(c, true, src, plan.warmupMillis());
          sample(c, false, dst, plan.warmupMillis());
        } catch (RuntimeException e) {
          samples.remove(c);
          drop(c.name(), c, size, e);
        }
      }
      long step = step0;
      for (int r = 0; r < plan.rounds(); r++) {
        for (Contender c : List.copyOf(samples.keySet())) {
          try {
            samples.get(c)[0][r] = sample(c, true, src, plan.sampleMillis());
            samples.get(c)[1][r] = sample(c, false, dst, plan.sampleMillis());
          } catch (RuntimeException e) {
            samples.remove(c);
            drop(c.name(), c, size, e);
          }
          done.accept(++step);
        }
      }
      for (var e : samples.entrySet()) {
        check(e.getKey(), src, dst);
        double kib = size / 1024.0;
        results.add(new Figure(STORE, e.getKey().name(), kib, box(e.getValue()[0])));
        results.add(new Figure(LOAD, e.getKey().name(), kib, box(e.getValue()[1])));
      }
    } finally {
      for (Contender c : samples.keySet()) {
        c.close();
      }
    }
  }

  private void drop(String name, Contender c, long size, RuntimeException e) {
    results.note(String.format(Locale.ROOT, "%s at %s: not measured (%s).", name, BenchReport.size(size),
        e.getMessage() == null ? e.toString() : e.getMessage()));
    if (c != null) {
      try {
        c.close();
      } catch (RuntimeException ignored) {
        // already reported
      }
    }
  }

  private static List<Double> box(double[] v) {
    List<Double> l = new ArrayList<>();
    for (double d : v) {
      l.add(d);
    }
    return l;
  }

  /** Fails unless {@code c} gives back exactly {@code src}'s bytes. */
  private static void check(Contender c, MemorySegment src, MemorySegment dst) {
    dst.fill((byte) 0);
    c.loadInto(dst);
    long at = src.mismatch(dst);
    if (at != -1) {
      throw new IllegalStateException(c.name() + " returned different bytes at offset " + at + " of " + src.byteSize()
          + " (expected: the bytes stored)");
    }
  }

  /** Runs one operation for {@code millis} (at least once) and returns GB/s (10^9 bytes per second). */
  private static double sample(Contender c, boolean store, MemorySegment segment, long millis) {
    long budget = millis * 1_000_000L;
    long ops = 0;
    long t0 = System.nanoTime();
    long elapsed;
    do {
      if (store) {
        c.store(segment);
      } else {
        c.loadInto(segment);
      }
      ops++;
      elapsed = System.nanoTime() - t0;
    } while (elapsed < budget);
    return (double) segment.byteSize() * ops / elapsed;
  }
}
