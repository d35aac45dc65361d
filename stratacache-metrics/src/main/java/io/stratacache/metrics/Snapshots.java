package io.stratacache.metrics;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A snapshot reused for at most {@code maxAge}, so that the many meters one scrape reads share
 * one call of an expensive {@code stats()}. Thread-safe; two threads may both refresh at once,
 * harmlessly.
 */
final class Snapshots<T> {
  private record Held<T>(T value, long takenNanos) {}

  private final Supplier<T> source;
  private final long maxAgeNanos;
  private volatile Held<T> held;

  Snapshots(Supplier<T> source, Duration maxAge) {
    this.source = Objects.requireNonNull(source, "source");
    if (Objects.requireNonNull(maxAge, "maxAge").isNegative()) {
      throw new IllegalArgumentException("maxAge: " + maxAge + " (expected: zero or positive)");
    }
    this.maxAgeNanos = maxAge.toNanos();
  }

  T get() {
    Held<T> h = held;
    long now = System.nanoTime();
    if (h == null || maxAgeNanos == 0 || now - h.takenNanos() > maxAgeNanos) {
      h = new Held<>(source.get(), now);
      held = h;
    }
    return h.value();
  }
}
