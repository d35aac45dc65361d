package io.stratacache.params;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import io.stratacache.testkit.ForwardingLayer;
import io.stratacache.testkit.HeapLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A loader thread that cannot run (descheduled on a busy machine; here held at a gate) never makes
 * the caller wait for work it could do itself: the caller stages every group, and every tensor of
 * a group, that the loader has not started.
 */
class PrefetcherCallerRunsTest {
  private static final int LAYERS = 4;
  private static final long[] TENSOR_BYTES = {4096, 70_000, 1000};
  private static final long LAYER_BYTES = 4096 + 70_016 + 1024;
  private static final String LOADER = "stratacache-prefetch";

  /** Holds the loader thread's reads of the chosen ids until opened; other threads pass. */
  private static final class Gate extends ForwardingLayer {
    final Set<ArtifactId> held = new HashSet<>();
    final CountDownLatch open = new CountDownLatch(1);
    final CountDownLatch loaderArrived = new CountDownLatch(1);

    Gate(HeapLayer delegate) {
      super(delegate);
    }

    @Override
    public Lease get(ArtifactId id) {
      if (held.contains(id) && Thread.currentThread().getName().equals(LOADER)) {
        loaderArrived.countDown();
        try {
          open.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return super.get(id);
    }
  }

  private final Arena arena = Arena.ofShared();
  private Gate gate;
  private StorageEngine engine;
  private ParamClient client;
  private final List<List<ParamTensor>> order = new ArrayList<>();
  private final List<List<MemorySegment>> originals = new ArrayList<>();

  @BeforeEach
  void store() {
    gate = new Gate(new HeapLayer("heap", 8 << 20, "lru"));
    engine = StorageEngine.builder().tier(gate, "heap").build();
    client = new ParamClient(engine);
    ParamClientTest.putLayers(client, arena, LAYERS, TENSOR_BYTES, order, originals);
  }

  @AfterEach
  void close() {
    gate.open.countDown();
    engine.close();
    arena.close();
  }

  private void check(Prefetcher.StagedGroup g, int layer) {
    assertEquals(layer, g.index());
    for (int t = 0; t < TENSOR_BYTES.length; t++) {
      assertEquals(-1, g.tensor(t).mismatch(originals.get(layer).get(t)), "layer " + layer + " tensor " + t);
    }
  }

  @Test
  void aGroupTheLoaderHasNotStarted_isStagedByTheCaller() throws InterruptedException {
    // The loader stalls on the first tensor of group 1; groups 2 and 3 it never reaches.
    gate.held.addAll(order.get(1).getFirst().chunks().stream().map(ParamKey::id).toList());
    try (StagingPool pool = new StagingPool(3 * LAYER_BYTES);
        Prefetcher p = new Prefetcher(client, pool, 2);
        Prefetcher.Pass pass = p.start(order)) {
      check(pass.await(0), 0);
      pass.release(0);
      assertTrue(gate.loaderArrived.await(10, TimeUnit.SECONDS), "the loader reached group 1");
      assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
        check(pass.await(2), 2);
        pass.release(2);
        check(pass.await(3), 3);
        pass.release(3);
      }, "the caller stages groups 2 and 3 while the loader is stalled in group 1");
      gate.open.countDown();
      check(pass.await(1), 1);
      pass.release(1);
      assertEquals(LAYERS, p.stats().groupsLoaded());
    }
  }

  @Test
  void aTensorTheLoaderIsStuckCopying_isCopiedAgainByTheCaller_andItsRegionWaitsForTheLoader() throws InterruptedException {
    // The loader stalls inside its copy of group 1's first tensor.
    gate.held.addAll(order.get(1).getFirst().chunks().stream().map(ParamKey::id).toList());
    try (StagingPool pool = new StagingPool(3 * LAYER_BYTES);
        Prefetcher p = new Prefetcher(client, pool, 2)) {
      try (Prefetcher.Pass pass = p.start(order)) {
        check(pass.await(0), 0);
        pass.release(0);
        assertTrue(gate.loaderArrived.await(10, TimeUnit.SECONDS), "the loader reached group 1");
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
          for (int l = 1; l < LAYERS; l++) {
            check(pass.await(l), l);
            pass.release(l);
          }
        }, "the caller copies the stalled tensor itself instead of waiting for the loader");
        assertTrue(pool.used() > 0, "group 1's region stays taken while the loader may still write into it");
        assertTrue(p.stats().tensorsByCaller() >= 1 + 2L * TENSOR_BYTES.length, p.stats().toString());
      }
      gate.open.countDown();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (pool.used() != 0 && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      assertEquals(0, pool.used(), "the region is given back once the loader's late copy is done");
      assertEquals(LAYERS, p.stats().groupsLoaded());
    }
  }
}
