package io.stratacache.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.stratacache.kv.KvConfig;
import io.stratacache.config.LinkMode;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.LayerStats;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A real engine of {@code cpu} tiers per test, caches over it, and the checks every test ends
 * with: no lease left open in any tier. The seed is printed by failing assertions.
 */
abstract class KvEngineFixture {
  protected final long seed = KvTestSupport.seed();
  protected final SplittableRandom random = new SplittableRandom(seed);
  protected final Arena arena = Arena.ofShared();
  protected StorageEngine engine;
  private final List<KvPrefixCache> caches = new ArrayList<>();

  /** The engine of each test: one 8 MiB {@code cpu} tier unless a test opens another. */
  @BeforeEach
  void openEngine() {
    engine = StorageEngine.builder().tier("hot", "cpu", Map.of("capacity", "8MiB")).build();
  }

  /** Replaces the test's engine by {@code replacement}. */
  protected void useEngine(StorageEngine replacement) {
    engine.close();
    engine = replacement;
  }

  /** Replaces the test's engine by {@code hot} over {@code warm}, both {@code cpu}, write-through. */
  protected void useTwoCpuTiers(boolean promoteOnHit) {
    useEngine(StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", "8MiB"))
        .tier("warm", "cpu", Map.of("capacity", "8MiB"))
        .link("hot", "warm", LinkMode.WRITE_THROUGH)
        .promoteOnHit(promoteOnHit)
        .build());
  }

  @AfterEach
  void closeAll() {
    try {
      for (KvPrefixCache c : caches) {
        c.close();
      }
      for (LayerStats t : engine.stats().tiers()) {
        assertEquals(0, t.openLeases(), t.tier() + ": leases left open; " + reproduce());
      }
    } finally {
      engine.close();
      arena.close();
    }
  }

  protected String reproduce() {
    return KvTestSupport.reproduce(seed);
  }

  protected static KvConfig kv(int chunkSize, boolean bundle, boolean partial) {
    return KvConfig.builder().chunkSize(chunkSize).bundleLayers(bundle).savePartialChunks(partial).build();
  }

  protected static KvConfig kvWithHeader(int chunkSize, boolean bundle, boolean partial) {
    return KvConfig.builder().chunkSize(chunkSize).bundleLayers(bundle).savePartialChunks(partial).tensorHeaderInPayload(true).build();
  }

  /** A cache of {@code model} over the test's engine, with {@code layers} layers of {@code layout}. */
  protected KvPrefixCache cache(String model, KvLayout layout, int layers, KvConfig config, Consumer<KvPrefixCache.Builder> more) {
    KvPrefixCache.Builder b = KvPrefixCache.builder(engine).model(model).layout(layout).layers(layers).config(config);
    more.accept(b);
    KvPrefixCache c = b.build();
    caches.add(c);
    return c;
  }

  protected KvPrefixCache cache(KvLayout layout, int layers, KvConfig config) {
    return cache("m", layout, layers, config, b -> {});
  }

  protected KvPages randomPages(KvLayout layout, int layers) {
    return KvTestSupport.randomPages(arena, layout, layers, random);
  }

  protected KvPages zeroPages(KvLayout layout, int layers) {
    return KvTestSupport.zeroPages(arena, layout, layers);
  }
}
