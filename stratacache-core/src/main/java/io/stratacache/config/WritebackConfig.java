package io.stratacache.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The write-back worker's settings. Made with {@link #builder()} (or {@link #toBuilder()} from
 * another), which refuses nonsense as each value is set:
 *
 * <pre>{@code
 * WritebackConfig w = WritebackConfig.builder()
 *     .flushInterval(Duration.ofHours(1))
 *     .maxDirtyBytes(10_000)
 *     .backpressure(WritebackConfig.Backpressure.BLOCK)
 *     .build();
 * }</pre>
 *
 * @param flushInterval how long a dirty artifact waits before the worker writes it down (repeated
 *     stores within it are written once), and how often the idle worker looks; {@code flush()}
 *     and {@code close()} do not wait for it
 * @param retryBackoffMin first wait after a failed flush of an artifact
 * @param retryBackoffMax longest wait between retries (the wait doubles up to this)
 * @param closeTimeout how long {@code close()} waits for dirty artifacts to drain
 * @param maxDirtyBytes dirty bytes above which a store applies {@code backpressure}
 * @param backpressure what a store does when dirty bytes exceed {@code maxDirtyBytes}
 */
public record WritebackConfig(
    Duration flushInterval,
    Duration retryBackoffMin,
    Duration retryBackoffMax,
    Duration closeTimeout,
    long maxDirtyBytes,
    Backpressure backpressure) {
  public static final WritebackConfig DEFAULTS =
      new WritebackConfig(
          Duration.ofMillis(10), Duration.ofMillis(5), Duration.ofSeconds(2), Duration.ofSeconds(30), 1L << 30, Backpressure.BLOCK);

  public WritebackConfig {
    Objects.requireNonNull(flushInterval, "flushInterval");
    Objects.requireNonNull(retryBackoffMin, "retryBackoffMin");
    Objects.requireNonNull(retryBackoffMax, "retryBackoffMax");
    Objects.requireNonNull(closeTimeout, "closeTimeout");
    Objects.requireNonNull(backpressure, "backpressure");
  }

  /** A builder starting from {@link #DEFAULTS}. */
  public static Builder builder() {
    return new Builder(DEFAULTS);
  }

  /** A builder starting from these settings; each may still be set once. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Builds a {@link WritebackConfig}. Each setting may be set once ({@link IllegalStateException}
   * names the earlier value); a value out of range is refused at once with an {@link
   * IllegalArgumentException} naming it; unset settings keep the starting values.
   */
  public static final class Builder {
    private static final Duration MAX = Duration.ofNanos(Long.MAX_VALUE);

    private Duration flushInterval;
    private Duration retryBackoffMin;
    private Duration retryBackoffMax;
    private Duration closeTimeout;
    private long maxDirtyBytes;
    private Backpressure backpressure;
    private final java.util.Set<String> set = new java.util.HashSet<>();

    private Builder(WritebackConfig from) {
      flushInterval = from.flushInterval;
      retryBackoffMin = from.retryBackoffMin;
      retryBackoffMax = from.retryBackoffMax;
      closeTimeout = from.closeTimeout;
      maxDirtyBytes = from.maxDirtyBytes;
      backpressure = from.backpressure;
    }

    private void once(String name, Object current) {
      if (!set.add(name)) {
        throw new IllegalStateException(name + " was already set to " + current);
      }
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero() || d.compareTo(MAX) > 0) {
        throw new IllegalArgumentException(name + ": " + d + " (expected: a positive duration of at most " + MAX + ")");
      }
      return d;
    }

    /** How long a dirty artifact waits before it is written down; positive. */
    public Builder flushInterval(Duration interval) {
      Duration d = positive("flushInterval", interval);
      once("flushInterval", flushInterval);
      flushInterval = d;
      return this;
    }

    /** First wait after a failed flush; positive, at most {@link #retryBackoffMax}. */
    public Builder retryBackoffMin(Duration min) {
      Duration d = positive("retryBackoffMin", min);
      once("retryBackoffMin", retryBackoffMin);
      retryBackoffMin = d;
      return this;
    }

    /** Longest wait between retries; positive, at least {@link #retryBackoffMin}. */
    public Builder retryBackoffMax(Duration max) {
      Duration d = positive("retryBackoffMax", max);
      once("retryBackoffMax", retryBackoffMax);
      retryBackoffMax = d;
      return this;
    }

    /** How long {@code close()} waits for dirty artifacts to drain; zero or more. */
    public Builder closeTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "closeTimeout");
      if (timeout.isNegative() || timeout.compareTo(MAX) > 0) {
        throw new IllegalArgumentException("closeTimeout: " + timeout + " (expected: zero or a positive duration of at most "
            + MAX + ")");
      }
      once("closeTimeout", closeTimeout);
      closeTimeout = timeout;
      return this;
    }

    /** Dirty bytes above which a store applies back-pressure; positive. */
    public Builder maxDirtyBytes(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxDirtyBytes: " + bytes + " (expected: a positive number of bytes)");
      }
      once("maxDirtyBytes", maxDirtyBytes);
      maxDirtyBytes = bytes;
      return this;
    }

    /** What a store does above {@link #maxDirtyBytes}. */
    public Builder backpressure(Backpressure mode) {
      Objects.requireNonNull(mode, "backpressure");
      once("backpressure", backpressure);
      backpressure = mode;
      return this;
    }

    /**
     * The settings.
     *
     * @throws IllegalArgumentException if {@code retryBackoffMax} is below {@code retryBackoffMin}
     */
    public WritebackConfig build() {
      if (retryBackoffMax.compareTo(retryBackoffMin) < 0) {
        throw new IllegalArgumentException("retryBackoffMax: " + retryBackoffMax + " (expected: at least retryBackoffMin, "
            + retryBackoffMin + ")");
      }
      return new WritebackConfig(flushInterval, retryBackoffMin, retryBackoffMax, closeTimeout, maxDirtyBytes, backpressure);
    }
  }

  /** What a store does when too many bytes are dirty. */
  public enum Backpressure {
    /** Wait until the worker has brought dirty bytes under the limit. */
    BLOCK,
    /** Write this store through to the lower tier instead of marking it dirty. */
    WRITE_THROUGH
  }
}
