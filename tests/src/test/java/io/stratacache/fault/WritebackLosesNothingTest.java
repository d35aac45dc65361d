package io.stratacache.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.StrataCacheException;
import io.stratacache.engine.EngineStats;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.testkit.FaultyLayer;
import io.stratacache.testkit.Seeds;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Write-back that loses nothing: a small CPU head over a durable tier (CXL on {@code /dev/shm}, or
 * SSD) whose writes fail 20% of the time ({@link FaultyLayer}), linked write-back, with a dirty-bytes limit so that back-pressure
 * applies and a head small enough that dirty artifacts are evicted (written down first) all the
 * time. After 10,000 stores and {@code close()}, the lower tier, opened afresh over the same
 * medium, holds every artifact byte for byte.
 *
 * <p>A store the engine refuses (the head full of artifacts whose write-down just failed, or, under
 * {@code WRITE_THROUGH} back-pressure, the lower tier failing the store) is retried by the caller,
 * as an application would; the test counts those refusals and requires every acknowledged store
 * to survive.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WritebackLosesNothingTest {
  @RegisterExtension static final org.junit.jupiter.api.extension.TestWatcher SEED = Seeds.REPORTER;

  private static final int STORES = 10_000;
  private static final int MAX_SIZE = 16 << 10;

  @TempDir Path dir;

  private static ArtifactId id(int i) {
    return ArtifactId.of("wb", Integer.toString(i));
  }

  private static int size(long seed, int i) {
    return 1 + (int) Long.remainderUnsigned(FaultyLayer.mix(seed ^ i), MAX_SIZE);
  }

  private static void fill(MemorySegment dst, long seed, int i) {
    long x = FaultyLayer.mix(seed + i);
    long n = dst.byteSize();
    long off = 0;
    for (; off + 8 <= n; off += 8) {
      x = FaultyLayer.mix(x);
      dst.set(ValueLayout.JAVA_LONG_UNALIGNED, off, x);
    }
    x = FaultyLayer.mix(x);
    for (; off < n; off++, x >>>= 8) {
      dst.set(ValueLayout.JAVA_BYTE, off, (byte) x);
    }
  }

  /**
   * The cases: back-pressure that blocks or writes through at a dirty limit of a quarter of the
   * head; and no limit with a lower tier slower than the stores, so that the head fills with dirty
   * artifacts and evictions write them down.
   */
  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(WritebackConfig.Backpressure.BLOCK, 256 << 10, Duration.ZERO, "cxl"),
        Arguments.of(WritebackConfig.Backpressure.WRITE_THROUGH, 256 << 10, Duration.ZERO, "cxl"),
        Arguments.of(WritebackConfig.Backpressure.BLOCK, 1L << 30, Duration.ofNanos(300_000), "ssd"));
  }

  /** Settings of a durable lower tier of {@code provider} on {@code dir} that holds every artifact. */
  private static Map<String, Object> lowerTier(String provider, Path dir) {
    return provider.equals("ssd")
        ? Map.of("path", dir.resolve("ssd").toString(), "capacity", "512MiB", "fsync", "never")
        : Map.of("path", dir.resolve("cxl.region").toString(), "capacity", "160MiB", "slots", 16384, "alignment", 64,
            "block_size", 1024);
  }

  @ParameterizedTest(name = "{0} at {1} dirty bytes, lower tier {3} with latency {2}")
  @MethodSource("cases")
  void tenThousandWritebackStores_withTwentyPercentOfLowerWritesFailing_loseNothing(
      WritebackConfig.Backpressure backpressure, long maxDirtyBytes, Duration lowerLatency, String lowerProvider)
      throws java.io.IOException {
    long seed = Seeds.seed();
    Path shm = Path.of("/dev/shm");
    Path media = lowerProvider.equals("cxl") && Files.isDirectory(shm) && Files.isWritable(shm)
        ? Files.createTempDirectory(shm, "stratacache-writeback") : dir;
    MemoryLayer head = LayerProviders.forName("cpu").open(LayerSpec.of("hot", "cpu", Map.of("capacity", "1MiB")));
    MemoryLayer lower = LayerProviders.forName(lowerProvider).open(LayerSpec.of("cold", lowerProvider, lowerTier(lowerProvider, media)));
    FaultyLayer cold = FaultyLayer.wrap(lower).seed(seed).putFailureRate(0.2).latency(lowerLatency).build();
    WritebackConfig writeback = WritebackConfig.builder()
        .flushInterval(Duration.ofMillis(1)).retryBackoffMin(Duration.ofMillis(1)).retryBackoffMax(Duration.ofMillis(20))
        .closeTimeout(Duration.ofSeconds(120)).maxDirtyBytes(maxDirtyBytes).backpressure(backpressure).build();

    long refused = 0;
    EngineStats before;
    try (StorageEngine engine = StorageEngine.builder()
            .tier(head, "cpu")
            .tier(cold, lowerProvider)
            .link("hot", "cold", LinkMode.WRITE_BACK)
            .writeback(writeback)
            .build();
        Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = arena.allocate(MAX_SIZE);
      for (int i = 0; i < STORES; i++) {
        MemorySegment payload = buffer.asSlice(0, size(seed, i));
        fill(payload, seed, i);
        ArtifactMeta meta = ArtifactMeta.builder(ArtifactType.KV_BLOCKS).attribute("i", Integer.toString(i)).build();
        for (int attempt = 1; ; attempt++) {
          try {
            engine.store(id(i), meta, payload);
            break;
          } catch (StrataCacheException e) {
            refused++;
            assertTrue(attempt < 1000, "store " + i + " refused 1000 times (seed " + Seeds.format(seed) + "): " + e);
          }
        }
      }
      before = engine.stats();
    }

    System.out.printf("write-back, %s back-pressure at %d dirty bytes, lower tier %s with latency %s (seed %s): %d stores, %d lower-tier writes failed, %d stores"
            + " refused and retried, %d flushed, %d flush errors, %d dirty evictions written down, %d evictions refused%n",
        backpressure, maxDirtyBytes, lowerProvider, lowerLatency, Seeds.format(seed), STORES, cold.injectedPutFailures(), refused, before.flushed(),
        before.flushErrors(), before.evictionWrites(), before.refusedEvictions());
    assertTrue(cold.injectedPutFailures() > STORES / 10, "the lower tier was meant to fail ~20% of writes");
    assertTrue(before.tiers().get(0).evictions() > STORES / 2, "the head was meant to be under eviction pressure");
    if (maxDirtyBytes > before.tiers().get(0).capacityBytes()) {
      assertTrue(before.evictionWrites() > 0, "dirty artifacts were meant to be evicted and written down");
    }

    try (MemoryLayer reopened = LayerProviders.forName(lowerProvider).open(
            LayerSpec.of("cold", lowerProvider, lowerTier(lowerProvider, media)));
        Arena arena = Arena.ofConfined()) {
      assertEquals(STORES, reopened.stats().artifacts(), "artifacts in the lower tier after close (seed " + Seeds.format(seed) + ")");
      MemorySegment expected = arena.allocate(MAX_SIZE);
      int lost = 0;
      for (int i = 0; i < STORES; i++) {
        try (Lease lease = reopened.get(id(i))) {
          if (lease == null) {
            lost++;
            continue;
          }
          assertEquals(Integer.toString(i), lease.meta().attribute("i"));
          MemorySegment e = expected.asSlice(0, size(seed, i));
          fill(e, seed, i);
          assertEquals(-1, e.mismatch(lease.segment()), "bytes of " + id(i) + " (seed " + Seeds.format(seed) + ")");
        }
      }
      assertEquals(0, lost, "artifacts lost (seed " + Seeds.format(seed) + ")");
    } finally {
      if (!media.equals(dir)) {
        Files.deleteIfExists(media.resolve("cxl.region"));
        Files.deleteIfExists(media);
      }
    }
  }
}
