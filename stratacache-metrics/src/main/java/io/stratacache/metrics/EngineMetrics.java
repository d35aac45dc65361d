package io.stratacache.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.stratacache.engine.EngineStats;
import io.stratacache.engine.StorageEngine;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * The engine's counters as Micrometer meters, read when the registry is scraped (nothing is added
 * to a store or load): per tier (tags {@code tier}, {@code provider}) hits, misses, puts,
 * evictions, rejected stores, corrupt records, used and capacity bytes, artifacts, open leases and
 * pinned artifacts; for the whole chain misses, promotions, demotions, eviction writes, refused
 * evictions, flushed artifacts, flush failures, dirty bytes and artifacts. Meter names are listed
 * in the README's metrics section.
 *
 * <p>One {@link StorageEngine#stats()} snapshot serves every meter read within {@code maxAge}
 * (default 1 s), so a scrape costs one snapshot, not one per meter.
 */
public final class EngineMetrics implements MeterBinder {
  private final StorageEngine engine;
  private final Snapshots<EngineStats> stats;
  private final Tags common;

  /** Meters of {@code engine}, tagged {@code extraTags} as well; snapshots are reused for 1 s. */
  public EngineMetrics(StorageEngine engine, Tags extraTags) {
    this(engine, extraTags, Duration.ofSeconds(1));
  }

  /** As {@link #EngineMetrics(StorageEngine, Tags)}, reusing a snapshot for at most {@code maxAge}. */
  public EngineMetrics(StorageEngine engine, Tags extraTags, Duration maxAge) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.common = Objects.requireNonNull(extraTags, "extraTags");
    this.stats = new Snapshots<>(engine::stats, maxAge);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    List<String> tiers = engine.tiers();
    for (int i = 0; i < tiers.size(); i++) {
      int index = i;
      Tags tags = common.and("tier", tiers.get(i), "provider", engine.tier(tiers.get(i)).provider());
      counter(registry, "stratacache.tier.hits", "Loads this tier served (through the chain)", tags,
          s -> s.hitsPerTier().get(index));
      counter(registry, "stratacache.tier.misses", "Lookups in this tier that did not find the artifact", tags,
          s -> s.tiers().get(index).misses());
      counter(registry, "stratacache.tier.puts", "Artifacts stored into this tier", tags, s -> s.tiers().get(index).puts());
      counter(registry, "stratacache.tier.evictions", "Artifacts this tier evicted to make room", tags,
          s -> s.tiers().get(index).evictions());
      counter(registry, "stratacache.tier.rejected", "Stores this tier refused for lack of space", tags,
          s -> s.tiers().get(index).rejected());
      counter(registry, "stratacache.tier.corrupt", "Records this tier found invalid and treated as absent", tags,
          s -> s.tiers().get(index).corrupt());
      gauge(registry, "stratacache.tier.used", BaseUnits.BYTES, "Bytes in use", tags, s -> s.tiers().get(index).usedBytes());
      gauge(registry, "stratacache.tier.capacity", BaseUnits.BYTES, "Capacity", tags, s -> s.tiers().get(index).capacityBytes());
      gauge(registry, "stratacache.tier.artifacts", null, "Artifacts held", tags, s -> s.tiers().get(index).artifacts());
      gauge(registry, "stratacache.tier.leases", null, "Open leases", tags, s -> s.tiers().get(index).openLeases());
      gauge(registry, "stratacache.tier.pinned", null, "Pinned artifacts", tags, s -> s.tiers().get(index).pinned());
    }
    counter(registry, "stratacache.misses", "Loads no tier could serve", common, EngineStats::misses);
    counter(registry, "stratacache.promotions", "Lower-tier hits copied into upper tiers", common, EngineStats::promotions);
    counter(registry, "stratacache.promotions.failed", "Promotions that failed (the load was served all the same)", common,
        EngineStats::failedPromotions);
    counter(registry, "stratacache.demotions", "Evicted artifacts written into the tier below", common, EngineStats::demotions);
    counter(registry, "stratacache.eviction.writes", "Dirty artifacts written down because they were evicted", common,
        EngineStats::evictionWrites);
    counter(registry, "stratacache.evictions.refused", "Evictions refused (busy, or writing down failed)", common,
        EngineStats::refusedEvictions);
    counter(registry, "stratacache.flushed", "Artifacts the write-back worker wrote down", common, EngineStats::flushed);
    counter(registry, "stratacache.flush.failures", "Failed write-back attempts (each retried)", common, EngineStats::flushErrors);
    counter(registry, "stratacache.skipped.unavailable", "Operations that passed over an unavailable tier", common,
        EngineStats::skippedUnavailable);
    gauge(registry, "stratacache.dirty", BaseUnits.BYTES, "Bytes waiting for write-back", common, EngineStats::dirtyBytes);
    gauge(registry, "stratacache.dirty.artifacts", null, "Artifacts waiting for write-back", common, EngineStats::dirtyArtifacts);
  }

  private void counter(MeterRegistry registry, String name, String help, Tags tags, ToDoubleFunction<EngineStats> f) {
    // the registry holds the engine weakly (the meters go when it does); the function holds the snapshots
    FunctionCounter.builder(name, engine, e -> f.applyAsDouble(stats.get())).description(help).tags(tags).register(registry);
  }

  private void gauge(MeterRegistry registry, String name, String unit, String help, Tags tags, ToDoubleFunction<EngineStats> f) {
    Gauge.builder(name, engine, e -> f.applyAsDouble(stats.get())).description(help).baseUnit(unit).tags(tags).register(registry);
  }

  /** Shown in messages. */
  @Override
  public String toString() {
    return "EngineMetrics" + engine.tiers();
  }
}
