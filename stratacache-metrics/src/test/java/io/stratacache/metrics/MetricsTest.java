package io.stratacache.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.stratacache.config.StrataConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.tensor.DType;
import io.stratacache.engine.StorageEngine;
import io.stratacache.kv.KvLayout;
import io.stratacache.kv.KvPages;
import io.stratacache.kv.KvPrefixCache;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The meters of an engine of two cpu tiers and of a KV cache, read from a registry the test passes in. */
class MetricsTest {
  private static final String TWO_TIERS = """
      tiers:
        - {name: hot, provider: cpu, capacity: 1MiB}
        - {name: warm, provider: cpu, capacity: 8MiB}
      links:
        - {from: hot, to: warm, mode: write-back}
      kv: {chunk_size: 16}
      """;

  private static void store(StorageEngine engine, String id, int bytes) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment payload = arena.allocate(bytes);
      payload.fill((byte) 7);
      engine.store(ArtifactId.of(id), ArtifactMeta.of(ArtifactType.CUSTOM), payload);
    }
  }

  private static double counter(MeterRegistry r, String name, String... tags) {
    return r.get(name).tags(tags).functionCounter().count();
  }

  /** Waits (up to a generous bound) for the event stream to deliver what the test did. */
  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("never happened: " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void engineMeters_countHitsMissesEvictionsDemotionsAndPromotions_perTier() {
    MeterRegistry registry = new SimpleMeterRegistry();
    try (StorageEngine engine = StorageEngine.open(StrataConfig.parse(TWO_TIERS, "test"))) {
      new EngineMetrics(engine, Tags.of("plane", "test"), Duration.ZERO).bindTo(registry);
      for (int i = 0; i < 6; i++) {
        store(engine, "a" + i, 300 * 1024); // 1 MiB holds three: the rest push older ones down
      }
      engine.flush();
      try (Lease first = engine.load(ArtifactId.of("a0"))) {
        assertEquals("warm", first.tier());
      }
      assertEquals(null, engine.tryLoad(ArtifactId.of("absent")));
      double evictedFromHot = counter(registry, "stratacache.tier.evictions", "tier", "hot", "plane", "test");
      assertTrue(evictedFromHot >= 3, "evictions " + evictedFromHot);
      assertEquals(1.0, counter(registry, "stratacache.tier.hits", "tier", "warm", "provider", "cpu"));
      assertEquals(1.0, counter(registry, "stratacache.misses", "plane", "test"));
      assertEquals(1.0, counter(registry, "stratacache.promotions"));
      assertEquals(6.0, counter(registry, "stratacache.tier.puts", "tier", "warm"), "every artifact written down once");
      assertEquals(8.0 * 1024 * 1024, registry.get("stratacache.tier.capacity").tags("tier", "warm").gauge().value());
      assertEquals(0.0, registry.get("stratacache.dirty").gauge().value(), "flushed");
      assertEquals(engine.stats().tier("hot").usedBytes(), registry.get("stratacache.tier.used").tags("tier", "hot").gauge().value());
    }
  }

  @Test
  void operationTimers_followTheFlightRecorderEvents() throws InterruptedException {
    MeterRegistry registry = new SimpleMeterRegistry();
    try (StorageEngine engine = StorageEngine.open(StrataConfig.parse(TWO_TIERS, "test"));
        OperationMetrics operations = new OperationMetrics(Tags.empty())) {
      operations.bindTo(registry);
      assertThrows(IllegalStateException.class, () -> operations.bindTo(registry));
      for (int i = 0; i < 6; i++) {
        store(engine, "b" + i, 300 * 1024);
      }
      engine.flush();
      try (Lease lease = engine.load(ArtifactId.of("b0"))) {
        assertEquals("warm", lease.tier());
      }
      assertEquals(null, engine.tryLoad(ArtifactId.of("absent")));
      await(() -> timerCount(registry, "stratacache.store", "tier", "hot") == 6, "six store events");
      await(() -> timerCount(registry, "stratacache.load", "tier", "warm", "result", "hit") == 1, "a hit in warm");
      await(() -> timerCount(registry, "stratacache.load", "tier", "none", "result", "miss") == 1, "a miss");
      await(() -> registry.find("stratacache.tier.read").tags("tier", "warm").counter() != null, "bytes read from warm");
      assertEquals(300.0 * 1024, registry.get("stratacache.tier.read").tags("tier", "warm").counter().count());
      await(() -> registry.find("stratacache.tier.written").tags("tier", "hot").counter() != null
          && registry.get("stratacache.tier.written").tags("tier", "hot").counter().count() == 6 * 300.0 * 1024, "bytes into hot");
      await(() -> registry.find("stratacache.flush").timers().stream().mapToLong(Timer::count).sum()
          + registry.find("stratacache.demote").timers().stream().mapToLong(Timer::count).sum() >= 6,
          "each artifact written down by a flush or a demotion");
      await(() -> registry.find("stratacache.evict").tags("tier", "hot").timer() != null, "evictions from hot");
    }
  }

  private static long timerCount(MeterRegistry registry, String name, String... tags) {
    Timer t = registry.find(name).tags(tags).timer();
    return t == null ? 0 : t.count();
  }

  @Test
  void kvMeters_countLookupsAndHitTokensByTier() throws InterruptedException {
    MeterRegistry registry = new SimpleMeterRegistry();
    KvLayout layout = KvLayout.mla(4, 16, 8, DType.BF16);
    try (StorageEngine engine = StorageEngine.open(StrataConfig.parse(TWO_TIERS, "test"));
        KvPrefixCache cache = KvPrefixCache.builder(engine).model("m").layout(layout).layers(1).build();
        StrataMetrics metrics = StrataMetrics.bind(engine, registry, Tags.empty());
        Arena arena = Arena.ofConfined()) {
      metrics.bind(cache);
      int[] tokens = new int[32];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = i + 1;
      }
      int[] slots = new int[32];
      for (int i = 0; i < slots.length; i++) {
        slots[i] = i;
      }
      KvPages pages = new KvPages(layout, List.of(arena.allocate(layout.layerBytes(), 64)));
      cache.store(tokens, pages, slots);
      assertEquals(32, cache.lookup(tokens).hitTokens());
      cache.lookup(new int[] {99, 98, 97});
      MeterRegistry r = registry;
      // a KV cache's stats are read as a snapshot reused for a second: wait for the fresh one
      await(() -> r.get("stratacache.kv.lookups").tags("adapter", "kv").functionCounter().count() == 2, "two lookups");
      assertEquals(35.0, r.get("stratacache.kv.prompt.tokens").functionCounter().count());
      assertEquals(32.0, r.get("stratacache.kv.hit.tokens").tags("tier", "hot").functionCounter().count());
      assertEquals(0.0, r.get("stratacache.kv.hit.tokens").tags("tier", "warm").functionCounter().count());
      assertTrue(r.get("stratacache.kv.stored").functionCounter().count() > 0);
      await(() -> timerCount(r, "stratacache.kv.lookup", "model", "m") == 2, "two lookup events");
    }
  }
}
