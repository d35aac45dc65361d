package io.stratacache.kv;

import io.stratacache.core.tensor.DType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.engine.StorageEngine;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Leasing lookups over a {@code cpu} tier under pressure: room for exactly four 4 KiB chunks, so
 * every further chunk stored must evict one.
 */
class KvLeaseTest extends KvEngineFixture {
  static final int CHUNK = 16;
  static final int LAYERS = 2;
  static final KvLayout LAYOUT = KvLayout.flashAttn(64, 16, 2, 8, DType.F32);
  static final long CHUNK_BYTES = KvChunkLayout.payloadBytes(LAYOUT, LAYERS, CHUNK);

  private KvPrefixCache cache;

  @BeforeEach
  void smallTier() {
    assertEquals(4096, CHUNK_BYTES);
    useEngine(StorageEngine.builder().tier("hot", "cpu", Map.of("capacity", 4 * CHUNK_BYTES)).build());
    cache = cache(LAYOUT, LAYERS, kv(CHUNK, true, false));
  }

  private KvPages store(int[] tokens, int[] slots) {
    KvPages pages = randomPages(LAYOUT, LAYERS);
    KvStoreResult r = cache.store(tokens, pages, slots);
    assertNull(r.failure(), reproduce());
    return pages;
  }

  private int[] slots(int n) {
    return KvTestSupport.shuffledSlots(LAYOUT, n, random);
  }

  private boolean allPresent(int[] tokens) {
    return cache.chunkKeys(tokens).stream().allMatch(cache::contains);
  }

  @Test
  void leasedChunks_surviveEvictionPressure_andAreEvictedOnceReleased() {
    int[] a = KvTestSupport.tokens(32, random);
    int[] aSlots = slots(32);
    KvPages aPages = store(a, aSlots);
    KvLeasedPrefix prefix = cache.lookupAndLease(a);
    assertTrue(prefix.isHeld());
    assertEquals(32, prefix.hitTokens());
    assertEquals(32, prefix.lookup().tokens("hot"));

    int[] b = KvTestSupport.tokens(64, random);
    store(b, slots(64));
    assertTrue(engine.stats().tier("hot").evictions() >= 2, "the tier had to evict to store b");
    assertTrue(allPresent(a), "a leased chunk was evicted");
    assertEquals(0, cache.lookup(b).hitTokens(), "b's own first chunks were the victims");

    KvPages target = zeroPages(LAYOUT, LAYERS);
    int[] targetSlots = slots(32);
    KvRetrieveResult r = cache.retrieve(prefix, target, targetSlots);
    assertEquals(32, r.loadedTokens());
    assertNull(r.failure());
    assertFalse(prefix.isHeld(), "retrieve releases the leases");
    assertEquals(0, engine.stats().tier("hot").openLeases());
    assertEquals(-1, KvTestSupport.firstDifferentToken(aPages, aSlots, target, targetSlots, 0, 32), reproduce());

    store(KvTestSupport.tokens(64, random), slots(64));
    assertEquals(0, cache.lookup(a).hitTokens(), "without a lease the same pressure evicts a");
  }

  @Test
  void whenEveryByteIsLeased_aStoreIsRefused_andNothingLeasedIsLost() {
    int[] a = KvTestSupport.tokens(32, random);
    int[] b = KvTestSupport.tokens(32, random);
    store(a, slots(32));
    store(b, slots(32));
    try (KvLeasedPrefix la = cache.lookupAndLease(a); KvLeasedPrefix lb = cache.lookupAndLease(b)) {
      assertEquals(32, la.hitTokens());
      assertEquals(32, lb.hitTokens());
      KvStoreResult r = cache.store(KvTestSupport.tokens(32, random), randomPages(LAYOUT, LAYERS), slots(32));
      assertEquals(KvChunkFailure.Reason.REFUSED, r.failure().reason());
      assertEquals(0, r.storedChunks());
      assertTrue(allPresent(a));
      assertTrue(allPresent(b));
    }
    assertEquals(0, engine.stats().tier("hot").openLeases());
  }

  @Test
  void aLeaseNotRetrieved_isReleasedByItsTimeout_andRetrieveThenLoadsAgain() throws InterruptedException {
    int[] a = KvTestSupport.tokens(32, random);
    int[] aSlots = slots(32);
    KvPages aPages = store(a, aSlots);
    KvLeasedPrefix prefix = cache.lookupAndLease(a, Duration.ofMillis(20));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (cache.stats().expiredLeases() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(1, cache.stats().expiredLeases(), "the timeout did not release the lease");
    assertFalse(prefix.isHeld());
    assertEquals(0, engine.stats().tier("hot").openLeases());

    KvPages target = zeroPages(LAYOUT, LAYERS);
    int[] targetSlots = slots(32);
    assertEquals(32, cache.retrieve(prefix, target, targetSlots).loadedTokens());
    assertEquals(-1, KvTestSupport.firstDifferentToken(aPages, aSlots, target, targetSlots, 0, 32), reproduce());
  }

  @Test
  void anExpiredLease_whoseChunksWereEvicted_retrievesOnlyWhatIsLeft() {
    int[] a = KvTestSupport.tokens(32, random);
    store(a, slots(32));
    KvLeasedPrefix prefix = cache.lookupAndLease(a);
    prefix.release();
    prefix.release();
    assertFalse(prefix.isHeld());
    assertEquals(0, engine.stats().tier("hot").openLeases());
    assertTrue(engine.delete(prefix.chunks().get(1).id()));
    KvPages target = zeroPages(LAYOUT, LAYERS);
    int[] targetSlots = slots(32);
    KvRetrieveResult r = cache.retrieve(prefix, target, targetSlots);
    assertEquals(16, r.loadedTokens());
    assertEquals(KvChunkFailure.Reason.MISSING, r.failure().reason());
    assertEquals(-1, KvTestSupport.firstWrittenToken(target, targetSlots, 16, 32));
    assertEquals(0, cache.stats().expiredLeases(), "an explicit release is not a timeout");
  }

  @Test
  void aPrefixLeasedFromAnotherCache_isRefused_andStaysHeld() {
    int[] a = KvTestSupport.tokens(32, random);
    store(a, slots(32));
    KvPrefixCache other = cache("other", LAYOUT, LAYERS, kv(CHUNK, true, false), b -> {});
    try (KvLeasedPrefix p = cache.lookupAndLease(a)) {
      var e = assertThrows(IllegalArgumentException.class, () -> other.retrieve(p, zeroPages(LAYOUT, LAYERS), slots(32)));
      assertTrue(e.getMessage().startsWith("leased prefix: leased from another KV prefix cache"), e.getMessage());
      assertTrue(p.isHeld());
    }
  }

  @Test
  void closingTheCache_releasesOutstandingLeases() {
    int[] a = KvTestSupport.tokens(32, random);
    store(a, slots(32));
    KvLeasedPrefix p1 = cache.lookupAndLease(a);
    KvLeasedPrefix p2 = cache.lookupAndLease(Arrays.copyOf(a, 16));
    assertEquals(3, engine.stats().tier("hot").openLeases());
    cache.close();
    assertFalse(p1.isHeld());
    assertFalse(p2.isHeld());
    assertEquals(0, engine.stats().tier("hot").openLeases());
  }

  @Test
  void leasingLookup_reportsTheTierEachChunkWasLeasedFrom() {
    useTwoCpuTiers(false);
    KvPrefixCache two = cache(LAYOUT, LAYERS, kv(CHUNK, true, false));
    int[] a = KvTestSupport.tokens(48, random);
    two.store(a, randomPages(LAYOUT, LAYERS), slots(48));
    List<KvChunkKey> keys = two.chunkKeys(a);
    assertTrue(engine.tier("hot").delete(keys.get(2).id()));
    try (KvLeasedPrefix p = two.lookupAndLease(a)) {
      assertEquals(48, p.hitTokens());
      assertEquals(Map.of("hot", 32, "warm", 16), p.lookup().tokensByTier());
      assertEquals(48, p.lookup().tokens(KvMedium.CPU));
    }
  }
}
