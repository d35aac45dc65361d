package io.stratacache.params;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.CapacityException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class StagingPoolTest {
  @Test
  void acquire_waitsForSpaceAndWrapsAround() throws Exception {
    try (StagingPool pool = new StagingPool(1000)) {
      assertEquals(1024, pool.capacity());
      StagingPool.Region a = pool.acquire(400);
      StagingPool.Region b = pool.acquire(400);
      assertEquals(0, a.offset());
      assertEquals(448, b.offset());
      assertEquals(896, pool.used());
      CompletableFuture<StagingPool.Region> c = CompletableFuture.supplyAsync(() -> {
        try {
          return pool.acquire(300);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      assertThrows(TimeoutException.class, () -> c.get(300, TimeUnit.MILLISECONDS), "no room until a is closed");
      a.close();
      StagingPool.Region r = c.get(10, TimeUnit.SECONDS);
      assertEquals(0, r.offset(), "wrapped to the start");
      assertEquals(448 + 320 + 128, pool.used(), "the wrap charges the unused tail");
      b.close();
      r.close();
      r.close();
      assertEquals(0, pool.used());
      assertEquals(896, pool.peakUsed());
    }
  }

  @Test
  void closingOutOfOrder_holdsSpaceUntilTheOlderRegionCloses() throws Exception {
    try (StagingPool pool = new StagingPool(1024)) {
      StagingPool.Region a = pool.acquire(512);
      StagingPool.Region b = pool.acquire(512);
      b.close();
      assertEquals(1024, pool.used());
      assertNull(pool.acquire(64, () -> true), "an aborted wait gives up");
      a.close();
      assertEquals(0, pool.used());
      assertFalse(a.isOpen());
      assertThrows(IllegalStateException.class, a::segment);
    }
  }

  @Test
  void acquire_largerThanThePool_failsAtOnce() {
    try (StagingPool pool = new StagingPool(1024)) {
      CapacityException e = assertThrows(CapacityException.class, () -> pool.acquire(1025));
      assertTrue(e.getMessage().contains("1025 bytes"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> pool.acquire(0));
    }
    assertThrows(IllegalArgumentException.class, () -> new StagingPool(0));
  }

  @Test
  void wakeWaiters_letsAnAbortedWaitReturn() throws Exception {
    try (StagingPool pool = new StagingPool(128)) {
      StagingPool.Region held = pool.acquire(128);
      AtomicBoolean abort = new AtomicBoolean();
      CompletableFuture<StagingPool.Region> w = CompletableFuture.supplyAsync(() -> {
        try {
          return pool.acquire(64, abort::get);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      abort.set(true);
      pool.wakeWaiters();
      assertNull(w.get(10, TimeUnit.SECONDS));
      held.close();
    }
  }
}
