package io.stratacache.backend.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.LayerUnavailableException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
  private final AtomicLong now = new AtomicLong();
  private final CircuitBreaker breaker = new CircuitBreaker("tier 'remote'", 3, Duration.ofMillis(100), now::get);

  @Test
  void opensAfterThresholdConsecutiveFailures_andRefusesAtOnce() {
    breaker.admit();
    breaker.failure();
    breaker.failure();
    breaker.success(); // a success resets the count
    breaker.failure();
    breaker.failure();
    assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
    breaker.failure();
    assertEquals(CircuitBreaker.State.OPEN, breaker.state());
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class, breaker::admit);
    assertTrue(e.getMessage().contains("tier 'remote'") && e.getMessage().contains("next probe"), e.getMessage());
    assertEquals(1, breaker.timesOpened());
  }

  @Test
  void afterTheOpenPeriod_letsOneProbeThrough_thenClosesOnSuccess() {
    for (int i = 0; i < 3; i++) {
      breaker.failure();
    }
    now.addAndGet(Duration.ofMillis(100).toNanos());
    breaker.admit(); // the probe
    assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.state());
    assertThrows(LayerUnavailableException.class, breaker::admit, "a second call while the probe is in flight");
    breaker.success();
    assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
    breaker.admit();
  }

  @Test
  void aFailedProbe_reopensForAnotherPeriod() {
    for (int i = 0; i < 3; i++) {
      breaker.failure();
    }
    now.addAndGet(Duration.ofMillis(150).toNanos());
    breaker.admit();
    breaker.failure();
    assertEquals(CircuitBreaker.State.OPEN, breaker.state());
    now.addAndGet(Duration.ofMillis(50).toNanos());
    assertThrows(LayerUnavailableException.class, breaker::admit);
    now.addAndGet(Duration.ofMillis(60).toNanos());
    breaker.admit();
    assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.state());
  }

  @Test
  void aProbeThatNeverReports_doesNotBlockForever() {
    for (int i = 0; i < 3; i++) {
      breaker.failure();
    }
    now.addAndGet(Duration.ofMillis(100).toNanos());
    breaker.admit();
    now.addAndGet(Duration.ofMillis(100).toNanos());
    breaker.admit(); // the first probe's caller failed for another reason and never reported
    assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.state());
  }
}
