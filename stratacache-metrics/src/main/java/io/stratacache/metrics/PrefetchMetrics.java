package io.stratacache.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.stratacache.params.PrefetchStats;
import io.stratacache.params.Prefetcher;
import java.util.Objects;

/**
 * The parameter adapter's prefetcher as Micrometer meters (tag {@code adapter=params} and the ones
 * given): layer groups and bytes loaded, and the seconds spent loading and waiting for loads.
 */
public final class PrefetchMetrics implements MeterBinder {
  private final Prefetcher prefetcher;
  private final Tags tags;

  /** Meters of {@code prefetcher}, tagged {@code extraTags} as well. */
  public PrefetchMetrics(Prefetcher prefetcher, Tags extraTags) {
    this.prefetcher = Objects.requireNonNull(prefetcher, "prefetcher");
    this.tags = Objects.requireNonNull(extraTags, "extraTags").and("adapter", "params");
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    FunctionCounter.builder("stratacache.params.groups.loaded", prefetcher, p -> p.stats().groupsLoaded())
        .description("Layer groups loaded from the plane").tags(tags).register(registry);
    FunctionCounter.builder("stratacache.params.loaded", prefetcher, p -> p.stats().bytesLoaded())
        .description("Parameter bytes loaded from the plane").baseUnit(BaseUnits.BYTES).tags(tags).register(registry);
    FunctionCounter.builder("stratacache.params.load.time", prefetcher, p -> seconds(p.stats().loadNanos()))
        .description("Time spent loading parameter groups").baseUnit("seconds").tags(tags).register(registry);
    FunctionCounter.builder("stratacache.params.wait.time", prefetcher, p -> seconds(p.stats().waitNanos()))
        .description("Time the model waited for a group not yet loaded").baseUnit("seconds").tags(tags).register(registry);
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  /** Shown in messages. */
  @Override
  public String toString() {
    PrefetchStats s = prefetcher.stats();
    return "PrefetchMetrics[groups=" + s.groupsLoaded() + "]";
  }
}
