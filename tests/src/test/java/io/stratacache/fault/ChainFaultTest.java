package io.stratacache.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.StrataCacheException;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import io.stratacache.testkit.FaultyLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chain stays consistent when a tier fails in the middle of an operation: a failed promotion
 * costs the load nothing, and a failed write-through is never served and then lost.
 */
class ChainFaultTest {
  @RegisterExtension static final QuietLogs QUIET = new QuietLogs();

  private static final int SIZE = 4 << 10;
  private final ArtifactMeta meta = ArtifactMeta.of(ArtifactType.CUSTOM);

  private static MemoryLayer cpu(String name, String capacity) {
    return LayerProviders.forName("cpu").open(LayerSpec.of(name, "cpu", Map.of("capacity", capacity)));
  }

  private static WritebackConfig writeback(Duration closeTimeout) {
    return new WritebackConfig(Duration.ofHours(1), Duration.ofMillis(1), Duration.ofMillis(5), closeTimeout, 1L << 30,
        WritebackConfig.Backpressure.BLOCK);
  }

  private static MemorySegment payload(Arena arena, ArtifactId id, long version) {
    MemorySegment s = arena.allocate(SIZE);
    s.fill((byte) version);
    s.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, version);
    return s;
  }

  private static long version(MemorySegment s) {
    return s.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
  }

  @Test
  void failedPromotion_isCounted_andEveryLoadReturnsTheLowerTiersBytes_leakingNoLease() {
    FaultyLayer hot = FaultyLayer.wrap(cpu("hot", "1MiB")).seed(1).putFailureRate(1).build();
    MemoryLayer cold = cpu("cold", "1MiB");
    ArtifactId x = ArtifactId.of("fault", "x");
    try (StorageEngine engine = StorageEngine.builder().tier(hot, "cpu").tier(cold, "cpu").build();
        Arena arena = Arena.ofConfined()) {
      engine.tier("cold").store(x, meta, payload(arena, x, 7));
      List<Function<StorageEngine, Long>> loads = List.of(
          e -> {
            try (Lease l = e.load(x)) {
              return version(l.segment());
            }
          },
          e -> {
            try (Lease l = e.tryLoad(x)) {
              return version(l.segment());
            }
          },
          e -> {
            try (Lease l = e.tier("hot").loadPreferred(x)) {
              return version(l.segment());
            }
          },
          e -> {
            MemorySegment dst = arena.allocate(SIZE);
            assertEquals(SIZE, e.loadInto(x, dst));
            return version(dst);
          },
          e -> {
            Map<ArtifactId, Lease> got = e.loadAll(List.of(x));
            try (Lease l = got.get(x)) {
              assertNotNull(l, "batch load of " + x);
              return version(l.segment());
            }
          });
      for (Function<StorageEngine, Long> load : loads) {
        assertEquals(7, load.apply(engine));
        assertEquals(0, cold.stats().openLeases(), "leases left open on the lower tier");
        assertFalse(hot.contains(x), "a failed promotion left a copy in the head");
      }
      assertEquals(loads.size(), hot.injectedPutFailures(), "every load tried to promote");
      assertEquals(loads.size(), engine.stats().failedPromotions());
      assertEquals(0, engine.stats().promotions());
    }
  }

  /**
   * A head over a lower tier that fails half its writes (fixed seed). Versions of one artifact are
   * stored until a write-through fails; the version whose store threw is then what every load
   * returns, before and after the head evicts everything it can, and after a flush the lower tier
   * holds it.
   */
  @ParameterizedTest(name = "by {0}")
  @ValueSource(strings = {"store", "reserve"})
  void failedWriteThrough_isNeverServedThenLost(String how) {
    FaultyLayer cold = FaultyLayer.wrap(cpu("cold", "1MiB")).seed(0x5eedL).putFailureRate(0.5).build();
    ArtifactId x = ArtifactId.of("fault", "x");
    try (StorageEngine engine = StorageEngine.builder()
            .tier(cpu("hot", "64KiB"), "cpu")
            .tier(cold, "cpu")
            .link("hot", "cold", LinkMode.WRITE_THROUGH)
            .demoteOnEvict(false)
            .writeback(writeback(Duration.ofSeconds(30)))
            .build();
        Arena arena = Arena.ofConfined()) {
      long failed = -1;
      for (long v = 1; v <= 64 && failed < 0; v++) {
        try {
          if (how.equals("store")) {
            engine.store(x, meta, payload(arena, x, v));
          } else {
            try (Reservation r = engine.reserve(x, meta, SIZE)) {
              MemorySegment.copy(payload(arena, x, v), 0, r.segment(), 0, SIZE);
              r.commit();
            }
          }
        } catch (StrataCacheException e) {
          failed = v;
        }
      }
      assertTrue(failed > 0, "no write-through failed in 64 stores at a failure rate of one half");
      assertEquals(failed, loadVersion(engine, x), "the version whose write-through failed");
      for (int i = 0; i < 64; i++) { // sixty-four 4 KiB artifacts through a 64 KiB head
        ArtifactId other = ArtifactId.of("fill", Integer.toString(i));
        engine.tier("hot").store(other, meta, payload(arena, other, 1));
      }
      assertTrue(engine.stats().tiers().get(0).evictions() > 0, "the head was meant to evict");
      assertEquals(failed, loadVersion(engine, x), "after the head evicted");
      engine.flush();
      try (Lease l = engine.tier("cold").load(x)) {
        assertEquals(failed, version(l.segment()), "the lower tier after flush");
      }
      assertEquals(0, engine.stats().dirtyArtifacts());
    }
  }

  private static long loadVersion(StorageEngine engine, ArtifactId id) {
    try (Lease l = engine.load(id)) {
      return version(l.segment());
    }
  }
}
