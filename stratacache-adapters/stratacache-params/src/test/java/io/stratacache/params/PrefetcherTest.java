package io.stratacache.params;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactNotFoundException;
import io.stratacache.core.CapacityException;
import io.stratacache.engine.StorageEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PrefetcherTest {
  private static final int LAYERS = 6;
  private static final long[] TENSOR_BYTES = {4096, 70_000, 1000};
  private static final long LAYER_BYTES = 4096 + 70_016 + 1024;
  private static final String REPRO = ParamClientTest.REPRO;

  private final Arena arena = Arena.ofShared();
  private StorageEngine engine;
  private ParamClient client;
  private final List<List<ParamTensor>> order = new ArrayList<>();
  private final List<List<MemorySegment>> originals = new ArrayList<>();

  @BeforeEach
  void store() {
    engine = StorageEngine.builder().tier("cpu", "cpu", Map.of("capacity", "8MiB")).build();
    client = new ParamClient(engine);
    ParamClientTest.putLayers(client, arena, LAYERS, TENSOR_BYTES, order, originals);
  }

  @AfterEach
  void close() {
    engine.close();
    arena.close();
  }

  private void walk(Prefetcher p) {
    try (Prefetcher.Pass pass = p.start(order)) {
      for (int l = 0; l < LAYERS; l++) {
        Prefetcher.StagedGroup g = pass.await(l);
        assertEquals(l, g.index());
        for (int t = 0; t < TENSOR_BYTES.length; t++) {
          MemorySegment s = g.tensor(t);
          assertEquals(0, s.address() % StagingPool.ALIGNMENT);
          assertEquals(-1, s.mismatch(originals.get(l).get(t)), "layer " + l + " tensor " + t + REPRO);
        }
        pass.release(l);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 5})
  void pass_stagesEveryGroupByteForByteWithinThePool(int depth) {
    try (StagingPool pool = new StagingPool((depth + 1) * LAYER_BYTES); Prefetcher p = new Prefetcher(client, pool, depth)) {
      walk(p);
      walk(p);
      assertTrue(pool.peakUsed() <= pool.capacity());
      assertEquals(2L * LAYERS, p.stats().groupsLoaded());
      assertEquals(2L * LAYERS * (4096 + 70_000 + 1000), p.stats().bytesLoaded());
      awaitEmpty(pool);
    }
  }

  @Test
  void groupBytes_isTheAlignedSumThatOneGroupStages() {
    assertEquals(LAYER_BYTES, Prefetcher.groupBytes(order.getFirst()));
  }

  @Test
  void pass_withAPoolOfOneLayer_stillCompletes() {
    try (StagingPool pool = new StagingPool(LAYER_BYTES); Prefetcher p = new Prefetcher(client, pool, 2)) {
      walk(p);
      assertEquals(LAYER_BYTES, pool.peakUsed());
    }
  }

  @Test
  void await_loadsAheadUpToTheDepth() throws InterruptedException {
    try (StagingPool pool = new StagingPool(10 * LAYER_BYTES); Prefetcher p = new Prefetcher(client, pool, 2);
        Prefetcher.Pass pass = p.start(order)) {
      pass.await(0);
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (p.stats().groupsLoaded() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      Thread.sleep(50);
      assertEquals(3, p.stats().groupsLoaded(), "groups 1 and 2 load ahead, group 3 does not");
      assertEquals(3 * LAYER_BYTES, pool.used());
    }
  }

  @Test
  void await_ofAGroupWithAMissingChunk_throwsAndTheOthersStillLoad() {
    client.deleteChunk(order.get(3).get(1).chunks().get(2));
    try (StagingPool pool = new StagingPool(3 * LAYER_BYTES); Prefetcher p = new Prefetcher(client, pool, 2);
        Prefetcher.Pass pass = p.start(order)) {
      for (int l = 0; l < 3; l++) {
        pass.await(l);
        pass.release(l);
      }
      ArtifactNotFoundException e = assertThrows(ArtifactNotFoundException.class, () -> pass.await(3));
      assertEquals(order.get(3).get(1).chunks().get(2).id(), e.id());
      pass.await(4);
    }
  }

  @Test
  void await_ofAGroupLargerThanThePool_failsWithCapacity() {
    try (StagingPool pool = new StagingPool(LAYER_BYTES / 2); Prefetcher p = new Prefetcher(client, pool, 1);
        Prefetcher.Pass pass = p.start(order)) {
      assertThrows(CapacityException.class, () -> pass.await(0));
    }
  }

  @Test
  void closingAPassMidway_givesEveryRegionBack() {
    try (StagingPool pool = new StagingPool(2 * LAYER_BYTES); Prefetcher p = new Prefetcher(client, pool, 3)) {
      Prefetcher.Pass pass = p.start(order);
      pass.await(0);
      pass.close();
      assertThrows(IllegalStateException.class, () -> pass.await(1));
      awaitEmpty(pool);
      walk(p);
    }
  }

  private static void awaitEmpty(StagingPool pool) {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (pool.used() != 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(0, pool.used(), "every staged region was given back");
  }
}
