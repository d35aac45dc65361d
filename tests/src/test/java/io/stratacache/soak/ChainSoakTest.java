package io.stratacache.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.stratacache.chain.Payloads;
import io.stratacache.config.LinkMode;
import io.stratacache.config.WritebackConfig;
import io.stratacache.engine.EngineStats;
import io.stratacache.engine.StorageEngine;
import io.stratacache.testkit.FaultyLayer;
import io.stratacache.fault.QuietLogs;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A seeded, time-bounded soak of the tier chain through the public API, with faults injected
 * below the head. Per chain: {@value #THREADS} threads ({@link SoakWorker}) on tiny upper tiers,
 * so that eviction, demotion, promotion and write-back never stop, and a bottom tier that holds
 * every artifact and fails 1% of its stores ({@link FaultyLayer}; in three-tier chains the middle
 * tier fails as often). Every read is checked against what its payload says it is. A {@link
 * Watchdog} fails the run with a thread dump when nothing progresses. At the end, with the threads
 * stopped: a flush, then no open lease, pin, held lock or dirty artifact in any tier, every
 * artifact reads as its owner last stored it, the engine closes cleanly, and a durable bottom tier
 * reopened on its own holds every artifact that must survive.
 *
 * <p>By default each chain runs {@value #DEFAULT_SECONDS} s with a random seed;
 * {@code -Dstratacache.soak.seconds=N} runs each chain N seconds and {@code
 * -Dstratacache.soak.seed=S} fixes the seed (which fixes each thread's operations and every
 * injected fault; the interleaving of threads is the machine's). Every failure prints the seed and
 * the command that runs the soak again with it.
 */
class ChainSoakTest {
  @RegisterExtension static final QuietLogs QUIET = new QuietLogs();

  static final int THREADS = 6;
  static final int IDS_PER_THREAD = 16;
  static final int DEFAULT_SECONDS = 8;
  private static final Duration STALL = Duration.ofSeconds(30);
  private static final long SEED = seed(System.getProperty("stratacache.soak.seed"));
  private static final int SECONDS = Integer.getInteger("stratacache.soak.seconds", DEFAULT_SECONDS);

  @TempDir Path dir;

  /** A chain: providers head first, and the link below each tier but the last. */
  record Chain(String name, List<String> providers, List<LinkMode> links) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Chain> chains() {
    LinkMode wt = LinkMode.WRITE_THROUGH;
    LinkMode wb = LinkMode.WRITE_BACK;
    return Stream.of(
        new Chain("cpu->cpu write-through", List.of("cpu", "cpu"), List.of(wt)),
        new Chain("cpu->cpu write-back", List.of("cpu", "cpu"), List.of(wb)),
        new Chain("cpu->ssd write-back", List.of("cpu", "ssd"), List.of(wb)),
        new Chain("cpu->cxl write-through", List.of("cpu", "cxl"), List.of(wt)),
        new Chain("cpu->cpu->ssd write-back, write-through", List.of("cpu", "cpu", "ssd"), List.of(wb, wt)),
        new Chain("cpu->cpu->ssd write-through, write-back", List.of("cpu", "cpu", "ssd"), List.of(wt, wb)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("chains")
  void soak(Chain chain) throws Exception {
    try {
      run(chain);
    } catch (Throwable t) {
      String again = "./mvnw -B -o -pl tests -am verify -Dtest=ChainSoakTest -Dsurefire.failIfNoSpecifiedTests=false"
          + " -Dstratacache.soak.seed=" + hex(SEED) + " -Dstratacache.soak.seconds=" + SECONDS;
      System.err.println("soak of " + chain + " failed with seed " + hex(SEED) + "; run it again with:\n  " + again);
      throw new AssertionError("soak of " + chain + " (seed " + hex(SEED) + ", reproduce with: " + again + "): " + t.getMessage(), t);
    }
  }

  private void run(Chain chain) throws InterruptedException, IOException {
    int n = chain.providers().size();
    String bottom = chain.providers().getLast();
    Path media = bottom.equals("cxl") ? cxlDir() : dir;
    List<FaultyLayer> faulty = new ArrayList<>();
    StorageEngine.Builder b = StorageEngine.builder().writeback(new WritebackConfig(Duration.ofMillis(2), Duration.ofMillis(1),
        Duration.ofMillis(20), Duration.ofSeconds(10), 48 << 10, WritebackConfig.Backpressure.BLOCK));
    for (int i = 0; i < n; i++) {
      String provider = chain.providers().get(i);
      MemoryLayer layer = LayerProviders.forName(provider).open(LayerSpec.of(name(i, n), provider, settings(i, n, provider, media)));
      if (i > 0) {
        FaultyLayer f = FaultyLayer.wrap(layer).seed(SEED + i).putFailureRate(0.01).build();
        faulty.add(f);
        layer = f;
      }
      b.tier(layer, provider);
      if (i > 0) {
        b.link(name(i - 1, n), name(i, n), chain.links().get(i - 1));
      }
    }
    List<Ledger> ledgers;
    EngineStats stats;
    try (StorageEngine engine = b.build()) {
      SoakRun soak = new SoakRun();
      ledgers = soak.run(engine, THREADS, IDS_PER_THREAD, SEED, Duration.ofSeconds(SECONDS), STALL);
      engine.flush();
      stats = engine.stats();
      for (LayerStats t : stats.tiers()) {
        assertEquals(0, t.openLeases(), t.tier() + ": leases left open");
        assertEquals(0, t.pinned(), t.tier() + ": pins left");
      }
      assertEquals(0, stats.dirtyArtifacts(), "dirty artifacts after flush");
      long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      while (engine.admin().lockedArtifacts() != 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait(); // the worker may be leaving a flush it began before ours
      }
      assertEquals(0, engine.admin().lockedArtifacts(), "per-artifact locks still held");
      for (Ledger l : ledgers) {
        try (Lease lease = engine.tryLoad(l.id)) {
          check(l, lease == null ? -1 : Payloads.verify(l.id, lease.segment()), "read after the run", true);
        }
      }
      System.out.printf("soak %s (seed %s, %d s): %d operations, %d stores, %d refused, %d reads, %d flushes;"
              + " %d promotions (%d failed), %d demotions, %d dirty evictions, %d flushed, %d flush errors, %d lower-tier"
              + " stores failed by injection%n",
          chain, hex(SEED), SECONDS, soak.tally.ops.get(), soak.tally.stores.get(), soak.tally.refusedStores.get(),
          soak.tally.reads.get(), soak.tally.flushes.get(), stats.promotions(), stats.failedPromotions(), stats.demotions(),
          stats.evictionWrites(), stats.flushed(), stats.flushErrors(),
          faulty.stream().mapToLong(FaultyLayer::injectedPutFailures).sum());
    }
    if (!bottom.equals("cpu")) {
      try (MemoryLayer reopened = LayerProviders.forName(bottom).open(
          LayerSpec.of(name(n - 1, n), bottom, settings(n - 1, n, bottom, media)))) {
        for (Ledger l : ledgers) {
          try (Lease lease = reopened.get(l.id)) {
            check(l, lease == null ? -1 : Payloads.verify(l.id, lease.segment()), "durable tier reopened", false);
          }
        }
      }
    }
  }

  /** Checks one final read of {@code l}; {@code chain} reads must find whatever is present. */
  private static void check(Ledger l, long version, String how, boolean chain) {
    if (version < 0 && !chain && !l.mustSurvive()) {
      return; // an exact store into an upper tier, or a delete: nothing below need hold it
    }
    String wrong = l.read(version, how);
    if (wrong != null) {
      throw new AssertionError(wrong);
    }
  }

  private static String name(int i, int n) {
    return i == 0 ? "hot" : i == n - 1 ? "cold" : "warm";
  }

  /** Upper tiers hold a fraction of the artifacts; the bottom holds them all. */
  private static Map<String, Object> settings(int i, int n, String provider, Path media) {
    if (i < n - 1) {
      return Map.of("capacity", i == 0 ? "96KiB" : "160KiB");
    }
    return switch (provider) {
      case "cpu" -> Map.of("capacity", "8MiB");
      case "ssd" -> Map.of("path", media.resolve("ssd").toString(), "capacity", "16MiB", "fsync", "never");
      case "cxl" -> Map.of("path", media.resolve("cxl.region").toString(), "capacity", "16MiB", "slots", 2048,
          "alignment", 64, "block_size", 1024);
      default -> throw new IllegalArgumentException("provider: " + provider + " (expected: cpu, ssd or cxl)");
    };
  }

  /** A directory for a CXL region: in /dev/shm where there is one, as a real region would be. */
  private Path cxlDir() throws IOException {
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      Path d = Files.createTempDirectory(shm, "stratacache-soak");
      d.toFile().deleteOnExit();
      d.resolve("cxl.region").toFile().deleteOnExit();
      return d;
    }
    return dir;
  }

  private static String hex(long seed) {
    return "0x" + Long.toHexString(seed);
  }

  private static long seed(String s) {
    if (s == null || s.isBlank()) {
      return new java.util.SplittableRandom().nextLong();
    }
    s = s.trim();
    return s.startsWith("0x") || s.startsWith("0X") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
  }
}
