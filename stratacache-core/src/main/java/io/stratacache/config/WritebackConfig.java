package io.stratacache.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The write-back worker's settings.
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

  /** What a store does when too many bytes are dirty. */
  public enum Backpressure {
    /** Wait until the worker has brought dirty bytes under the limit. */
    BLOCK,
    /** Write this store through to the lower tier instead of marking it dirty. */
    WRITE_THROUGH
  }
}
