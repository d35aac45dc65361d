package io.stratacache.backend.redis;

import io.stratacache.core.LayerUnavailableException;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Stops calls to an unreachable server from each waiting out a time-out.
 *
 * <pre>
 *   CLOSED --(threshold consecutive failures)--&gt; OPEN --(openFor elapsed)--&gt; HALF_OPEN
 *   HALF_OPEN --(the probe succeeds)--&gt; CLOSED
 *   HALF_OPEN --(the probe fails)--&gt; OPEN
 * </pre>
 *
 * <p>While OPEN every call is refused at once with {@link LayerUnavailableException}. Once the
 * open period has passed, the next call is let through as the probe; other calls are refused
 * until it reports. A failure is a connection loss or a time-out, not a server's error reply.
 */
final class CircuitBreaker {
  /** The breaker's states. */
  enum State {
    CLOSED,
    OPEN,
    HALF_OPEN
  }

  private final String what;
  private final int threshold;
  private final long openNanos;
  private final LongSupplier clock;
  private State state = State.CLOSED;
  private int failures;
  private long openedAt;
  private long probeAt;
  private long opened;

  /**
   * @param what names the server in messages (e.g. {@code tier 'remote' (redis 127.0.0.1:6379)})
   */
  CircuitBreaker(String what, int threshold, Duration openFor, LongSupplier clock) {
    this.what = what;
    this.threshold = threshold;
    this.openNanos = openFor.toNanos();
    this.clock = clock;
  }

  /**
   * Admits a call, or refuses it.
   *
   * @throws LayerUnavailableException while open, or half-open with the probe in flight
   */
  synchronized void admit() {
    switch (state) {
      case CLOSED -> {}
      case OPEN -> {
        long waited = clock.getAsLong() - openedAt;
        if (waited < openNanos) {
          throw new LayerUnavailableException(
              what + " is unavailable: " + failures + " consecutive connection failures or time-outs; next probe in "
                  + Math.max(1, (openNanos - waited) / 1_000_000) + " ms");
        }
        state = State.HALF_OPEN;
        probeAt = clock.getAsLong();
      }
      case HALF_OPEN -> {
        // a probe that never reported (its caller failed for another reason) does not block forever
        if (clock.getAsLong() - probeAt < openNanos) {
          throw new LayerUnavailableException(what + " is unavailable: a probe is in flight");
        }
        probeAt = clock.getAsLong();
      }
    }
  }

  /** The server answered. */
  synchronized void success() {
    failures = 0;
    state = State.CLOSED;
  }

  /** The server could not be reached or did not answer in time. */
  synchronized void failure() {
    failures++;
    if (state == State.HALF_OPEN || (state == State.CLOSED && failures >= threshold)) {
      if (state == State.CLOSED) {
        opened++;
      }
      state = State.OPEN;
      openedAt = clock.getAsLong();
    }
  }

  synchronized State state() {
    return state;
  }

  /** How many times the breaker went from closed to open. */
  synchronized long timesOpened() {
    return opened;
  }
}
