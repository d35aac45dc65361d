package io.stratacache.kv;

import io.stratacache.core.tensor.DType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Layer-wise retrieve: asynchronous, per-layer counts, and what a layer missing mid-way does. */
class KvLayerwiseTest extends KvEngineFixture {
  static final int CHUNK = 16;
  static final int LAYERS = 4;
  static final KvLayout LAYOUT = KvLayout.flashInfer(32, 16, 2, 8, DType.F16);

  @Test
  void retrieveLayerwise_returnsBeforeLoading_andEachLayerIsReadyWhenAwaited() throws InterruptedException {
    try (ExecutorService single = Executors.newSingleThreadExecutor()) {
      KvPrefixCache cache = cache("m", LAYOUT, LAYERS, kv(CHUNK, true, true), b -> b.executor(single));
      int[] tokens = KvTestSupport.tokens(48, random);
      KvPages source = randomPages(LAYOUT, LAYERS);
      int[] sourceSlots = KvTestSupport.shuffledSlots(LAYOUT, 48, random);
      cache.store(tokens, source, sourceSlots);

      CountDownLatch gate = new CountDownLatch(1);
      single.execute(() -> {
        try {
          gate.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      KvPages target = zeroPages(LAYOUT, LAYERS);
      int[] targetSlots = KvTestSupport.shuffledSlots(LAYOUT, 48, random);
      KvLayerwiseRetrieval handle = cache.retrieveLayerwise(tokens, target, targetSlots);
      assertFalse(handle.isLayerDone(0), "the call returned after loading instead of before");
      assertEquals(-1, KvTestSupport.firstWrittenToken(target, targetSlots, 0, 48));
      gate.countDown();
      for (int l = 0; l < LAYERS; l++) {
        assertEquals(48, handle.awaitLayer(l));
        assertTrue(handle.isLayerDone(l));
      }
      assertEquals(48, handle.await().loadedTokens());
      assertEquals(-1, KvTestSupport.firstDifferentToken(source, sourceSlots, target, targetSlots, 0, 48), reproduce());
    }
  }

  @Test
  void layersStoredApart_aLayerMissingMidway_shrinksThatLayerAndEveryLaterOne() {
    KvPrefixCache cache = cache(LAYOUT, LAYERS, kv(CHUNK, false, true));
    int[] tokens = KvTestSupport.tokens(64, random);
    KvPages source = randomPages(LAYOUT, LAYERS);
    int[] sourceSlots = KvTestSupport.shuffledSlots(LAYOUT, 64, random);
    cache.store(tokens, source, sourceSlots);
    KvChunkKey third = cache.chunkKeys(tokens).get(2);
    assertTrue(engine.delete(ArtifactId.of(third.id() + "/L1")));

    KvPages target = zeroPages(LAYOUT, LAYERS);
    int[] targetSlots = KvTestSupport.shuffledSlots(LAYOUT, 64, random);
    KvLayerwiseRetrieval handle = cache.retrieveLayerwise(tokens, target, targetSlots);
    assertEquals(64, handle.awaitLayer(0));
    assertEquals(32, handle.awaitLayer(1));
    assertEquals(32, handle.awaitLayer(2));
    assertEquals(32, handle.awaitLayer(3));
    KvRetrieveResult r = handle.await();
    assertEquals(32, r.loadedTokens());
    assertEquals(KvChunkFailure.Reason.MISSING, r.failure().reason());
    assertEquals(ArtifactId.of(third.id() + "/L1"), r.failure().id());
    assertEquals(-1, KvTestSupport.firstDifferentToken(source, sourceSlots, target, targetSlots, 0, 32), reproduce());
  }

  @Test
  void bundledChunks_giveEveryLayerTheSameCount() {
    KvPrefixCache cache = cache(LAYOUT, LAYERS, kv(CHUNK, true, true));
    int[] tokens = KvTestSupport.tokens(64, random);
    cache.store(java.util.Arrays.copyOf(tokens, 40), randomPages(LAYOUT, LAYERS), KvTestSupport.shuffledSlots(LAYOUT, 40, random));
    KvLayerwiseRetrieval handle =
        cache.retrieveLayerwise(tokens, zeroPages(LAYOUT, LAYERS), KvTestSupport.shuffledSlots(LAYOUT, 64, random));
    for (int l = 0; l < LAYERS; l++) {
      assertEquals(32, handle.awaitLayer(l), "layer " + l + ": the 40-token partial chunk is not a prefix of 64 tokens");
    }
    assertEquals(KvChunkFailure.Reason.MISSING, handle.await().failure().reason());
  }
}
