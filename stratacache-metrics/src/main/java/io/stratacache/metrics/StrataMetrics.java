package io.stratacache.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.stratacache.engine.StorageEngine;
import io.stratacache.kv.KvPrefixCache;
import io.stratacache.params.Prefetcher;
import java.util.Objects;

/**
 * The plane's meters in a registry the application passes in:
 *
 * <pre>{@code
 * MeterRegistry registry = ...;                       // the application's
 * try (StrataMetrics metrics = StrataMetrics.bind(engine, registry, Tags.empty())) {
 *   metrics.bind(kvCache);                            // the KV adapter's counters
 *   metrics.bind(prefetcher);                         // the parameter adapter's
 *   ...
 * }
 * }</pre>
 *
 * <p>{@link EngineMetrics} (per tier and for the chain), {@link OperationMetrics} (latency timers
 * and bytes in and out, from the JFR events), {@link KvMetrics} and {@link PrefetchMetrics} can
 * also be bound one by one. With {@code telemetry.export: prometheus}, {@link
 * PrometheusEndpoint#fromConfig} serves a Prometheus registry for scraping.
 */
public final class StrataMetrics implements AutoCloseable {
  private final StorageEngine engine;
  private final MeterRegistry registry;
  private final Tags tags;
  private final OperationMetrics operations;

  private StrataMetrics(StorageEngine engine, MeterRegistry registry, Tags tags, OperationMetrics operations) {
    this.engine = engine;
    this.registry = registry;
    this.tags = tags;
    this.operations = operations;
  }

  /** Registers {@code engine}'s meters and its operation timers in {@code registry}, tagged {@code tags} as well. */
  public static StrataMetrics bind(StorageEngine engine, MeterRegistry registry, Tags tags) {
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(tags, "tags");
    new EngineMetrics(engine, tags).bindTo(registry);
    OperationMetrics operations = new OperationMetrics(tags);
    operations.bindTo(registry);
    return new StrataMetrics(engine, registry, tags, operations);
  }

  /** Registers the KV adapter's meters of {@code cache} (which runs on this engine). */
  public StrataMetrics bind(KvPrefixCache cache) {
    new KvMetrics(Objects.requireNonNull(cache, "cache"), engine.tiers(), tags).bindTo(registry);
    return this;
  }

  /** Registers the parameter adapter's meters of {@code prefetcher}. */
  public StrataMetrics bind(Prefetcher prefetcher) {
    new PrefetchMetrics(Objects.requireNonNull(prefetcher, "prefetcher"), tags).bindTo(registry);
    return this;
  }

  /** Stops the event stream behind the timers; the meters stay registered with their last values. */
  @Override
  public void close() {
    operations.close();
  }
}
