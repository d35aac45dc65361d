package io.stratacache.kv;

import io.stratacache.core.tensor.DType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Many requests sharing a prefix at once: every shared chunk is written exactly once, and every
 * request retrieves exactly the KV its tokens produce.
 */
class KvConcurrencyTest extends KvEngineFixture {
  static final int CHUNK = 16;
  static final int LAYERS = 2;
  static final int REQUESTS = 16;
  static final int SHARED_CHUNKS = 4;
  static final int OWN_CHUNKS = 2;
  static final KvLayout LAYOUT = KvLayout.flashInfer(16, 16, 2, 8, DType.BF16);

  record Outcome(KvStoreResult stored, int hit, int loaded, int firstDifferent) {}

  @Test
  void requestsSharingAPrefix_storeEachSharedChunkOnce_andRetrieveTheirOwnKv() throws Exception {
    for (boolean bundled : new boolean[] {true, false}) {
      KvPrefixCache cache = cache("c" + bundled, LAYOUT, LAYERS, kv(CHUNK, bundled, true), b -> {});
      int[] shared = KvTestSupport.tokens(SHARED_CHUNKS * CHUNK, random);
      CyclicBarrier start = new CyclicBarrier(REQUESTS);
      List<Future<Outcome>> futures = new ArrayList<>();
      try (ExecutorService pool = Executors.newFixedThreadPool(REQUESTS)) {
        for (int i = 0; i < REQUESTS; i++) {
          long requestSeed = random.nextLong();
          futures.add(pool.submit(() -> request(cache, shared, new SplittableRandom(requestSeed), start)));
        }
        int stored = 0;
        int deduped = 0;
        for (Future<Outcome> f : futures) {
          Outcome o = f.get();
          assertNull(o.stored().failure(), reproduce());
          stored += o.stored().storedChunks();
          deduped += o.stored().dedupedChunks();
          assertTrue(o.hit() >= (SHARED_CHUNKS + OWN_CHUNKS) * CHUNK, "hit " + o.hit());
          assertEquals((SHARED_CHUNKS + OWN_CHUNKS) * CHUNK, o.loaded());
          assertEquals(-1, o.firstDifferent(), "bundled=" + bundled + "; " + reproduce());
        }
        assertEquals(SHARED_CHUNKS + REQUESTS * OWN_CHUNKS, stored, "bundled=" + bundled);
        assertEquals((REQUESTS - 1) * SHARED_CHUNKS, deduped, "bundled=" + bundled);
        assertEquals(stored, cache.events().drain().size());
      }
    }
  }

  private Outcome request(KvPrefixCache cache, int[] shared, SplittableRandom r, CyclicBarrier start) throws Exception {
    int n = (SHARED_CHUNKS + OWN_CHUNKS) * CHUNK;
    int[] tokens = Arrays.copyOf(shared, n);
    for (int t = shared.length; t < n; t++) {
      tokens[t] = r.nextInt(128_000);
    }
    KvPages pages = KvTestSupport.zeroPages(arena, LAYOUT, LAYERS);
    int[] slots = KvTestSupport.shuffledSlots(LAYOUT, n, r);
    KvTestSupport.fillDeterministic(pages, tokens, slots);
    start.await();
    KvStoreResult stored = cache.store(tokens, pages, slots);
    int hit = cache.lookup(tokens).hitTokens();
    KvPages target = KvTestSupport.zeroPages(arena, LAYOUT, LAYERS);
    int[] targetSlots = KvTestSupport.shuffledSlots(LAYOUT, n, r);
    KvRetrieveResult loaded = cache.retrieve(tokens, target, targetSlots);
    return new Outcome(stored, hit, loaded.loadedTokens(),
        KvTestSupport.firstDifferentToken(pages, slots, target, targetSlots, 0, loaded.loadedTokens()));
  }
}
