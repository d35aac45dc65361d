package io.stratacache.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.StrataCacheException;
import io.stratacache.engine.StorageEngine;
import io.stratacache.testkit.FaultyLayer;
import io.stratacache.fault.QuietLogs;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.testkit.EngineInvariants;
import io.stratacache.spi.MemoryLayer;
import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;

/** What flush() reports, and batch loads of repeated ids. */
class ChainConsistencyTest {
  @RegisterExtension static final QuietLogs QUIET = new QuietLogs();

  private final ArtifactMeta meta = ArtifactMeta.of(ArtifactType.CUSTOM);

  private static MemoryLayer cpu(String name, String capacity) {
    return LayerProviders.forName("cpu").open(LayerSpec.of(name, "cpu", Map.of("capacity", capacity)));
  }

  private static StorageEngine writeBack(MemoryLayer cold, Duration closeTimeout) {
    return StorageEngine.builder()
        .tier(cpu("hot", "1MiB"), "cpu")
        .tier(cold, "cpu")
        .link("hot", "cold", LinkMode.WRITE_BACK)
        .writeback(new WritebackConfig(Duration.ofHours(1), Duration.ofMillis(1), Duration.ofMillis(5), closeTimeout,
            1L << 30, WritebackConfig.Backpressure.BLOCK))
        .build();
  }

  /**
   * A flush writes what was dirty when it was called; an artifact dirtied while it runs, which
   * the lower tier can never take (larger than the tier), is not this flush's to report.
   */
  @Test
  void flush_reportsOnlyWhatWasDirtyWhenCalled() throws Exception {
    FaultyLayer cold = FaultyLayer.wrap(cpu("cold", "64KiB")).latency(Duration.ofMillis(300)).build();
    try (StorageEngine engine = writeBack(cold, Duration.ofSeconds(2)); Arena arena = Arena.ofShared()) {
      ArtifactId x = ArtifactId.of("flush", "x");
      ArtifactId big = ArtifactId.of("flush", "big");
      engine.store(x, meta, Payloads.make(arena, x, 1, 1024));
      CompletableFuture<Void> flush = CompletableFuture.runAsync(engine::flush);
      // the flush holds x's lock while the slow lower tier takes it
      while (engine.admin().lockedArtifacts() == 0 && !flush.isDone()) {
        Thread.onSpinWait();
      }
      engine.store(big, meta, Payloads.make(arena, big, 1, 100 << 10));
      flush.get();
      assertTrue(cold.contains(x), "x written down by the flush");
      assertEquals(1, engine.stats().dirtyArtifacts(), "the artifact stored during the flush is still dirty");

      StrataCacheException e = assertThrows(StrataCacheException.class, engine::flush);
      assertTrue(e.getMessage().contains(big.toString()), e.getMessage());
      assertFalse(e.getMessage().contains(x.toString()), e.getMessage());
      assertTrue(engine.delete(big));
      EngineInvariants.check(engine);
    }
  }

  @Test
  void flushReport_namesOnlyThisFlushsArtifacts() {
    try (StorageEngine engine = writeBack(cpu("cold", "64KiB"), Duration.ofMillis(200)); Arena arena = Arena.ofShared()) {
      ArtifactId first = ArtifactId.of("flush", "first");
      engine.store(first, meta, Payloads.make(arena, first, 1, 100 << 10));
      assertThrows(StrataCacheException.class, engine::flush);
      assertTrue(engine.delete(first));
      ArtifactId second = ArtifactId.of("flush", "second");
      engine.store(second, meta, Payloads.make(arena, second, 1, 100 << 10));
      StrataCacheException e = assertThrows(StrataCacheException.class, engine::flush);
      assertTrue(e.getMessage().startsWith("flush: 1 of 1 dirty artifacts"), e.getMessage());
      assertTrue(e.getMessage().contains(second.toString()), e.getMessage());
      assertFalse(e.getMessage().contains(first.toString()), e.getMessage());
      assertTrue(engine.delete(second));
      EngineInvariants.check(engine);
    }
  }

  /** A repeated id in a batch load gets one lease; nothing is left open once it is closed. */
  @Test
  void batchLoad_withARepeatedId_returnsOneLeasePerDistinctId() {
    try (StorageEngine engine = writeBack(cpu("cold", "1MiB"), Duration.ofSeconds(5)); Arena arena = Arena.ofShared()) {
      ArtifactId x = ArtifactId.of("batch", "x");
      ArtifactId y = ArtifactId.of("batch", "y");
      ArtifactId absent = ArtifactId.of("batch", "absent");
      engine.store(x, meta, Payloads.make(arena, x, 1, 512));
      engine.store(y, meta, Payloads.make(arena, y, 2, 512));
      engine.flush();
      assertTrue(engine.tier("hot").delete(y)); // y is served by the lower tier and promoted
      Map<ArtifactId, Lease> got = engine.loadAll(List.of(x, y, x, absent, y, x));
      try {
        assertEquals(List.of(x, y), List.copyOf(got.keySet()));
        assertEquals(1, Payloads.verify(x, got.get(x).segment()));
        assertEquals(2, Payloads.verify(y, got.get(y).segment()));
      } finally {
        got.values().forEach(Lease::close);
      }
      for (LayerStats t : engine.stats().tiers()) {
        assertEquals(0, t.openLeases(), t.tier() + ": leases left open");
      }
      EngineInvariants.check(engine);
    }
  }
}
