package io.stratacache.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.stratacache.kv.KvPrefixCache;
import io.stratacache.kv.KvStats;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * The KV-cache adapter's counters as Micrometer meters (tag {@code adapter=kv} and the ones
 * given): lookups, prompt and hit tokens, hit tokens by the tier that held them (tag {@code
 * tier}), chunks and bytes stored and loaded, deduplicated, refused, missing and corrupt chunks.
 * Read when the registry is scraped, from one {@link KvPrefixCache#stats()} snapshot per scrape.
 */
public final class KvMetrics implements MeterBinder {
  private final KvPrefixCache cache;
  private final Snapshots<KvStats> stats;
  private final List<String> tiers;
  private final Tags tags;

  /**
   * Meters of {@code cache}, whose engine has tiers {@code tiers} (hit tokens get one counter per
   * tier), tagged {@code extraTags} as well (e.g. {@code model}).
   */
  public KvMetrics(KvPrefixCache cache, List<String> tiers, Tags extraTags) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.tiers = List.copyOf(Objects.requireNonNull(tiers, "tiers"));
    this.tags = Objects.requireNonNull(extraTags, "extraTags").and("adapter", "kv");
    this.stats = new Snapshots<>(cache::stats, Duration.ofSeconds(1));
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    counter(registry, "stratacache.kv.lookups", null, "Prefix lookups", tags, KvStats::lookups);
    counter(registry, "stratacache.kv.prompt.tokens", null, "Tokens of the prompts looked up", tags, KvStats::promptTokens);
    counter(registry, "stratacache.kv.hit.tokens.total", null, "Tokens found as a cached prefix", tags, KvStats::hitTokens);
    for (String tier : tiers) {
      counter(registry, "stratacache.kv.hit.tokens", null, "Tokens found as a cached prefix, by the tier that held them",
          tags.and("tier", tier), s -> s.hitTokensByTier().getOrDefault(tier, 0L));
    }
    counter(registry, "stratacache.kv.stored.chunks", null, "Chunks written", tags, KvStats::storedChunks);
    counter(registry, "stratacache.kv.stored", BaseUnits.BYTES, "Payload bytes written", tags, KvStats::storedBytes);
    counter(registry, "stratacache.kv.deduped.chunks", null, "Chunks a store skipped as already stored", tags, KvStats::dedupedChunks);
    counter(registry, "stratacache.kv.refused.stores", null, "Chunks the engine refused (no room)", tags, KvStats::refusedStores);
    counter(registry, "stratacache.kv.loaded.chunks", null, "Chunks scattered into the pages", tags, KvStats::loadedChunks);
    counter(registry, "stratacache.kv.loaded", BaseUnits.BYTES, "Payload bytes scattered into the pages", tags, KvStats::loadedBytes);
    counter(registry, "stratacache.kv.missing.chunks", null, "Retrieves that stopped at a chunk no tier held", tags,
        KvStats::missingChunks);
    counter(registry, "stratacache.kv.corrupt.chunks", null, "Chunks found invalid and never scattered", tags, KvStats::corruptChunks);
  }

  private void counter(MeterRegistry registry, String name, String unit, String help, Tags t, ToDoubleFunction<KvStats> f) {
    FunctionCounter.builder(name, cache, c -> f.applyAsDouble(stats.get())).description(help).baseUnit(unit).tags(t).register(registry);
  }
}
