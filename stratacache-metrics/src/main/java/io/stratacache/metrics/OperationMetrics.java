package io.stratacache.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import jdk.jfr.consumer.RecordingStream;

/**
 * Latency timers and byte counters fed by the JDK Flight Recorder events that the chain, the
 * write-back worker and the KV adapter emit, so that the operations themselves carry no metrics
 * code: timers {@code stratacache.store} and {@code stratacache.load} (tags {@code tier}, and
 * {@code result} hit or miss for loads), {@code stratacache.evict}, {@code stratacache.demote},
 * {@code stratacache.flush} (tags {@code link}, {@code result} ok or failed) and {@code
 * stratacache.kv.lookup} (tag {@code model}); counters {@code stratacache.tier.written} and
 * {@code stratacache.tier.read} (bytes into and out of each tier through the chain).
 *
 * <p>{@link #bindTo} starts an in-process event stream (a JFR recording of these events only);
 * the meters follow the operations about a second late, as the stream is flushed. {@link
 * #close()} stops it.
 */
public final class OperationMetrics implements MeterBinder, AutoCloseable {
  /** The events read, by name. */
  static final List<String> EVENTS = List.of("io.stratacache.Store", "io.stratacache.Load", "io.stratacache.Evict",
      "io.stratacache.Demote", "io.stratacache.Flush", "io.stratacache.KvLookup");

  private final Tags common;
  private final Map<Tags, Timer> timers = new ConcurrentHashMap<>();
  private final Map<Tags, Counter> counters = new ConcurrentHashMap<>();
  private RecordingStream stream;
  private MeterRegistry registry;

  /** Meters tagged {@code extraTags} as well. */
  public OperationMetrics(Tags extraTags) {
    this.common = Objects.requireNonNull(extraTags, "extraTags");
  }

  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    if (stream != null) {
      throw new IllegalStateException("already bound to " + this.registry + " (expected: one registry per OperationMetrics)");
    }
    this.registry = registry;
    RecordingStream s = new RecordingStream();
    for (String event : EVENTS) {
      s.enable(event).withoutStackTrace().withThreshold(Duration.ZERO);
    }
    s.setMaxAge(Duration.ofSeconds(10));
    s.onEvent("io.stratacache.Store", e -> {
      String tier = e.getString("tier");
      timer("stratacache.store", "Stores into the chain", Tags.of("tier", tier)).record(e.getDuration());
      bytes("stratacache.tier.written", "Bytes stored into the tier through the chain", tier, e.getLong("bytes"));
    });
    s.onEvent("io.stratacache.Load", e -> {
      boolean hit = e.getBoolean("hit");
      String tier = hit ? e.getString("tier") : "none";
      timer("stratacache.load", "Loads through the chain", Tags.of("tier", tier, "result", hit ? "hit" : "miss"))
          .record(e.getDuration());
      if (hit) {
        bytes("stratacache.tier.read", "Bytes loaded from the tier through the chain", tier, e.getLong("bytes"));
      }
    });
    s.onEvent("io.stratacache.Evict", e ->
        timer("stratacache.evict", "Evictions, writing down included", Tags.of("tier", e.getString("tier"))).record(e.getDuration()));
    s.onEvent("io.stratacache.Demote", e -> {
      timer("stratacache.demote", "Evicted artifacts written into the tier below",
          Tags.of("from", e.getString("from"), "to", e.getString("to"))).record(e.getDuration());
      bytes("stratacache.tier.written", "Bytes stored into the tier through the chain", e.getString("to"), e.getLong("bytes"));
    });
    s.onEvent("io.stratacache.Flush", e -> timer("stratacache.flush", "Write-back flush attempts",
        Tags.of("link", e.getString("link"), "result", e.getBoolean("succeeded") ? "ok" : "failed")).record(e.getDuration()));
    s.onEvent("io.stratacache.KvLookup", e ->
        timer("stratacache.kv.lookup", "KV prefix lookups", Tags.of("model", e.getString("model"), "adapter", "kv"))
            .record(e.getDuration()));
    s.startAsync();
    this.stream = s;
  }

  private Timer timer(String name, String help, Tags tags) {
    Tags all = common.and(tags).and("name", name);
    return timers.computeIfAbsent(all, k -> Timer.builder(name).description(help).tags(common.and(tags)).register(registry));
  }

  private void bytes(String name, String help, String tier, long bytes) {
    Tags all = common.and("tier", tier, "name", name);
    counters.computeIfAbsent(all, k -> Counter.builder(name).description(help).baseUnit(BaseUnits.BYTES)
        .tags(common.and("tier", tier)).register(registry)).increment(bytes);
  }

  /** Stops reading events; the meters keep their values. Idempotent. */
  @Override
  public synchronized void close() {
    if (stream != null) {
      stream.close();
    }
  }
}
