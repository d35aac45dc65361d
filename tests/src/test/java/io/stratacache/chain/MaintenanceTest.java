package io.stratacache.chain;

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
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.testkit.ForwardingLayer;
import io.stratacache.testkit.HeapLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The engine's maintenance evicts ahead of demand between a tier's watermarks on the engine's one
 * background thread: head-tier stores then find room while the tier below is slow, nothing is
 * lost, a failing tier below keeps its victims in place, and close stops the thread.
 */
class MaintenanceTest {
  private static final int SIZE = 64 << 10; // 16 fit in the 1 MiB head
  private static final ArtifactMeta META = ArtifactMeta.of(ArtifactType.CUSTOM);
  /** Write-back that only flushes when asked: every victim is dirty unless maintenance wrote it down. */
  private static final WritebackConfig LAZY = new WritebackConfig(Duration.ofHours(1), Duration.ofMillis(1),
      Duration.ofMillis(5), Duration.ofSeconds(30), 1L << 30, WritebackConfig.Backpressure.BLOCK);

  /** A lower tier whose stores can be held back or made to fail. */
  static final class GatedLayer extends ForwardingLayer {
    enum Mode { OPEN, BLOCK, FAIL }

    private volatile Mode mode = Mode.OPEN;
    final AtomicLong puts = new AtomicLong();
    final AtomicLong waiting = new AtomicLong();

    GatedLayer(MemoryLayer inner) {
      super(inner);
    }

    synchronized void set(Mode m) {
      mode = m;
      notifyAll();
    }

    @Override
    public void put(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
      synchronized (this) {
        waiting.incrementAndGet();
        try {
          while (mode == Mode.BLOCK) {
            try {
              wait();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new StrataCacheException("interrupted while blocked");
            }
          }
        } finally {
          waiting.decrementAndGet();
        }
        if (mode == Mode.FAIL) {
          throw new StrataCacheException("injected failure storing " + id);
        }
      }
      super.put(id, meta, payload);
      puts.incrementAndGet();
    }
  }

  private static ArtifactId id(int i) {
    return ArtifactId.of("maint", "a" + i);
  }

  private static MemorySegment payload(Arena arena, int i) {
    MemorySegment s = arena.allocate(SIZE);
    s.fill((byte) i);
    s.set(ValueLayout.JAVA_INT_UNALIGNED, 0, i);
    return s;
  }

  private static void assertHolds(StorageEngine engine, int i) {
    try (Lease l = engine.load(id(i))) {
      assertNotNull(l, "artifact " + i);
      assertEquals(i, l.segment().get(ValueLayout.JAVA_INT_UNALIGNED, 0), "artifact " + i);
      assertEquals((byte) i, l.segment().get(ValueLayout.JAVA_BYTE, SIZE - 1), "artifact " + i);
    }
  }

  private static StorageEngine engine(GatedLayer cold, double high, double low) {
    return StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", "1MiB", "high_watermark", high, "low_watermark", low))
        .tier(cold, "heap")
        .link("hot", "cold", LinkMode.WRITE_BACK)
        .writeback(LAZY)
        .build();
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("still not true after 30 s: " + what);
      }
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  private static long used(StorageEngine engine) {
    return engine.stats().tier("hot").usedBytes();
  }

  @Test
  void headStores_findRoom_whileTheTierBelowIsBlocked_andNothingIsLost() throws Exception {
    GatedLayer cold = new GatedLayer(new HeapLayer("cold", 64 << 20, "lru"));
    try (StorageEngine engine = engine(cold, 0.5, 0.25); Arena arena = Arena.ofShared()) {
      long capacity = engine.stats().tier("hot").capacityBytes();
      for (int i = 0; i < 16; i++) {
        engine.store(id(i), META, payload(arena, i));
      }
      // the agent's count is added when a round ends, after the bytes are gone
      await("the head is back under its high watermark, by evicting ahead",
          () -> used(engine) <= capacity / 2 && engine.stats().aheadEvictions() >= 8);

      // the tier below now blocks every store: head stores that fit under the high watermark's room do not wait for it
      cold.set(GatedLayer.Mode.BLOCK);
      CompletableFuture<Void> stores = CompletableFuture.runAsync(() -> {
        for (int i = 16; i < 24; i++) {
          engine.store(id(i), META, payload(arena, i));
        }
      });
      stores.get(30, TimeUnit.SECONDS);
      cold.set(GatedLayer.Mode.OPEN);

      engine.flush();
      for (int i = 0; i < 24; i++) {
        assertHolds(engine, i);
      }
      assertEquals(0, engine.stats().dirtyArtifacts());
    }
  }

  @Test
  void withoutMaintenance_aHeadStoreWaitsForTheTierBelow() throws Exception {
    // the same workload with maintenance off: the 17th store must write a dirty victim below first
    GatedLayer cold = new GatedLayer(new HeapLayer("cold", 64 << 20, "lru"));
    try (StorageEngine engine = engine(cold, 1.0, 0.5); Arena arena = Arena.ofShared()) {
      for (int i = 0; i < 16; i++) {
        engine.store(id(i), META, payload(arena, i));
      }
      cold.set(GatedLayer.Mode.BLOCK);
      CompletableFuture<Void> store = CompletableFuture.runAsync(() -> engine.store(id(16), META, payload(arena, 16)));
      await("the store is waiting for the tier below", () -> cold.waiting.get() > 0);
      assertFalse(store.isDone());
      cold.set(GatedLayer.Mode.OPEN);
      store.get(30, TimeUnit.SECONDS);
      assertEquals(0, engine.stats().aheadEvictions());
      for (int i = 0; i <= 16; i++) {
        assertHolds(engine, i);
      }
    }
  }

  @Test
  void failingTierBelow_keepsEveryVictimInTheHead_untilItRecovers() {
    GatedLayer cold = new GatedLayer(new HeapLayer("cold", 64 << 20, "lru"));
    cold.set(GatedLayer.Mode.FAIL);
    try (StorageEngine engine = engine(cold, 0.5, 0.25); Arena arena = Arena.ofShared()) {
      for (int i = 0; i < 12; i++) {
        engine.store(id(i), META, payload(arena, i));
      }
      await("maintenance tried the tier below", () -> engine.stats().refusedEvictions() > 0);
      assertEquals(0, engine.stats().aheadEvictions());
      LayerStats hot = engine.stats().tier("hot");
      assertEquals(12, hot.artifacts(), "a victim that could not be written down stays");
      for (int i = 0; i < 12; i++) {
        assertHolds(engine, i);
      }
      cold.set(GatedLayer.Mode.OPEN);
      await("maintenance resumes once the tier below recovers", () -> used(engine) <= hot.capacityBytes() / 2);
      for (int i = 0; i < 12; i++) {
        assertHolds(engine, i);
      }
    }
  }

  @Test
  void close_stopsTheEnginesOneBackgroundThread() {
    GatedLayer cold = new GatedLayer(new HeapLayer("cold", 64 << 20, "lru"));
    long writebackThreads = threads("stratacache-writeback-");
    StorageEngine engine = StorageEngine.builder() // a head name no other test uses, so only this engine's thread is counted
        .tier("closing", "cpu", Map.of("capacity", "1MiB", "high_watermark", 0.5, "low_watermark", 0.25))
        .tier(cold, "heap")
        .link("closing", "cold", LinkMode.WRITE_BACK)
        .writeback(LAZY)
        .build();
    assertEquals(1, threads("stratacache-maintenance-closing"), "one thread runs write-back and maintenance");
    assertEquals(writebackThreads, threads("stratacache-writeback-"), "no separate write-back thread");
    engine.close();
    assertEquals(0, threads("stratacache-maintenance-closing"));
  }

  private static long threads(String prefix) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix)).count();
  }
}
