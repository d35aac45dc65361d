package io.stratacache.kv;

import io.stratacache.core.tensor.DType;
import io.stratacache.core.tensor.TensorCodec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.ConfigException;
import io.stratacache.engine.StorageEngine;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The KV prefix cache's contracts over a real engine of {@code cpu} tiers, 16-token chunks. */
class KvPrefixCacheTest extends KvEngineFixture {
  static final int CHUNK = 16;
  static final int LAYERS = 2;
  static final KvLayout LAYOUT = KvLayout.flashAttn(64, 16, 2, 8, DType.F32);

  private KvPrefixCache cache() {
    return cache(LAYOUT, LAYERS, kv(CHUNK, true, true));
  }

  private int[] slots(int n) {
    return KvTestSupport.shuffledSlots(LAYOUT, n, random);
  }

  /** Stores {@code tokens} from fresh random pages; returns the pages and slots used. */
  private Stored storeRandom(KvPrefixCache cache, int[] tokens) {
    KvPages pages = randomPages(LAYOUT, LAYERS);
    int[] slots = slots(tokens.length);
    KvStoreResult r = cache.store(tokens, pages, slots);
    assertNull(r.failure(), reproduce());
    return new Stored(pages, slots, r);
  }

  record Stored(KvPages pages, int[] slots, KvStoreResult result) {}

  @Test
  void lookup_ofAnUnseenPrompt_hitsNothing() {
    KvPrefixCache cache = cache();
    KvLookupResult r = cache.lookup(KvTestSupport.tokens(50, random));
    assertEquals(50, r.promptTokens());
    assertEquals(0, r.hitTokens());
    assertEquals(0, r.hitChunks());
    assertEquals(Map.of("hot", 0), r.tokensByTier());
    assertFalse(r.fullHit());
  }

  @Test
  void nullArguments_areRefusedNamingTheParameter_andLoseNothing() {
    KvPrefixCache cache = cache();
    int[] tokens = KvTestSupport.tokens(32, random);
    storeRandom(cache, tokens);
    KvPages pages = randomPages(LAYOUT, LAYERS);
    int[] slots = slots(32);
    assertEquals("tokens", assertThrows(NullPointerException.class, () -> cache.lookup(null)).getMessage());
    assertEquals("tokens", assertThrows(NullPointerException.class, () -> cache.store(null, pages, slots)).getMessage());
    assertEquals("pages", assertThrows(NullPointerException.class, () -> cache.store(tokens, null, slots)).getMessage());
    assertEquals("slotMapping", assertThrows(NullPointerException.class, () -> cache.retrieve(tokens, pages, null)).getMessage());
    assertEquals("pages", assertThrows(NullPointerException.class, () -> cache.retrieveLayerwise(tokens, null, slots)).getMessage());
    assertEquals("timeout", assertThrows(NullPointerException.class, () -> cache.lookupAndLease(tokens, null)).getMessage());
    assertEquals("prefix", assertThrows(NullPointerException.class, () -> cache.retrieve((KvLeasedPrefix) null, pages, slots)).getMessage());
    assertEquals("chunk", assertThrows(NullPointerException.class, () -> cache.tierOf(null)).getMessage());
    assertEquals("requests", assertThrows(NullPointerException.class, () -> cache.storeAll(null)).getMessage());
    assertEquals(32, cache.lookup(tokens).hitTokens(), "nothing stored was lost");
  }

  @Test
  void partialHit_lookupAndRetrieveStopAtTheFirstUncachedChunk() {
    KvPrefixCache cache = cache();
    int[] tokens = KvTestSupport.tokens(80, random);
    Stored s = storeRandom(cache, Arrays.copyOf(tokens, 48));
    assertEquals(3, s.result().storedChunks());

    KvLookupResult l = cache.lookup(tokens);
    assertEquals(48, l.hitTokens());
    assertEquals(3, l.hitChunks());
    assertEquals(48, l.tokens("hot"));
    assertEquals(48, l.tokens(KvMedium.CPU));

    KvPages target = zeroPages(LAYOUT, LAYERS);
    int[] targetSlots = slots(80);
    KvRetrieveResult r = cache.retrieve(tokens, target, targetSlots);
    assertEquals(48, r.loadedTokens());
    assertEquals(KvChunkFailure.Reason.MISSING, r.failure().reason());
    assertEquals(3, r.failure().chunk().index());
    assertEquals(-1, KvTestSupport.firstDifferentToken(s.pages(), s.slots(), target, targetSlots, 0, 48), reproduce());
    assertEquals(-1, KvTestSupport.firstWrittenToken(target, targetSlots, 48, 80));
    boolean[] mask = r.mask(80);
    assertTrue(mask[0] && mask[47] && !mask[48] && !mask[79]);
  }

  @Test
  void missingMiddleChunk_endsThePrefix_evenThoughLaterChunksArePresent() {
    KvPrefixCache cache = cache();
    int[] tokens = KvTestSupport.tokens(64, random);
    storeRandom(cache, tokens);
    List<KvChunkKey> keys = cache.chunkKeys(tokens);
    assertTrue(engine.delete(keys.get(1).id()));
    assertNull(cache.tierOf(keys.get(1)));
    assertEquals("hot", cache.tierOf(keys.get(2)));
    assertTrue(cache.contains(keys.get(3)));

    assertEquals(16, cache.lookup(tokens).hitTokens());
    KvPages target = zeroPages(LAYOUT, LAYERS);
    int[] targetSlots = slots(64);
    KvRetrieveResult r = cache.retrieve(tokens, target, targetSlots);
    assertEquals(16, r.endToken());
    assertEquals(KvChunkFailure.Reason.MISSING, r.failure().reason());
    assertEquals(keys.get(1), r.failure().chunk());
    assertEquals(keys.get(1).id(), r.failure().id());
    assertEquals(-1, KvTestSupport.firstWrittenToken(target, targetSlots, 16, 64), "chunks after the hole must not be scattered");
    try (KvLeasedPrefix p = cache.lookupAndLease(tokens)) {
      assertEquals(16, p.hitTokens());
      assertEquals(List.of(keys.get(0)), p.chunks());
    }
  }

  @Test
  void saltsAndModels_neverShareAChunk() {
    KvPrefixCache a = cache("m", LAYOUT, LAYERS, kv(CHUNK, true, true), b -> b.salt("tenant-a"));
    KvPrefixCache b = cache("m", LAYOUT, LAYERS, kv(CHUNK, true, true), x -> x.salt("tenant-b"));
    KvPrefixCache unsalted = cache();
    KvPrefixCache otherModel = cache("m2", LAYOUT, LAYERS, kv(CHUNK, true, true), x -> x.salt("tenant-a"));
    KvPrefixCache otherRank = cache("m", LAYOUT, LAYERS, kv(CHUNK, true, true), x -> x.salt("tenant-a").tensorParallel(2, 1));
    int[] tokens = KvTestSupport.tokens(48, random);
    storeRandom(a, tokens);
    assertEquals(48, a.lookup(tokens).hitTokens());
    for (KvPrefixCache other : List.of(b, unsalted, otherModel, otherRank)) {
      assertEquals(0, other.lookup(tokens).hitTokens(), other.namespace().toString());
      KvPages target = zeroPages(LAYOUT, LAYERS);
      int[] targetSlots = slots(48);
      assertEquals(0, other.retrieve(tokens, target, targetSlots).loadedTokens());
      assertEquals(-1, KvTestSupport.firstWrittenToken(target, targetSlots, 0, 48));
    }
    KvStoreResult again = b.store(tokens, randomPages(LAYOUT, LAYERS), slots(48));
    assertEquals(3, again.storedChunks(), "another tenant's chunks are not its own: nothing deduplicated");
    assertEquals(0, again.dedupedChunks());
    assertNotEquals(a.chunkKeys(tokens).get(0).id(), b.chunkKeys(tokens).get(0).id());
  }

  @Test
  void partialChunk_isStoredAndFoundByTheSamePrompt_butNotByALongerOne() {
    KvPrefixCache cache = cache();
    int[] tokens = KvTestSupport.tokens(40, random);
    Stored s = storeRandom(cache, tokens);
    assertEquals(3, s.result().storedChunks());
    List<KvChunkKey> keys = cache.chunkKeys(tokens);
    assertEquals(3, keys.size());
    assertTrue(keys.get(2).partial());
    assertEquals(8, keys.get(2).tokens());
    assertFalse(keys.get(1).partial());

    assertEquals(40, cache.lookup(tokens).hitTokens());
    assertEquals(32, cache.lookup(Arrays.copyOf(tokens, 32)).hitTokens());
    int[] longer = Arrays.copyOf(tokens, 48);
    longer[40] = 7;
    assertNotEquals(keys.get(2).hash(), cache.chunkKeys(longer).get(2).hash());
    assertEquals(32, cache.lookup(longer).hitTokens());
    assertEquals(32, cache.lookup(Arrays.copyOf(tokens, 39)).hitTokens(), "a shorter partial tail is another key");

    KvPages target = zeroPages(LAYOUT, LAYERS);
    int[] targetSlots = slots(40);
    KvRetrieveResult r = cache.retrieve(tokens, target, targetSlots);
    assertEquals(40, r.loadedTokens());
    assertNull(r.failure());
    assertEquals(-1, KvTestSupport.firstDifferentToken(s.pages(), s.slots(), target, targetSlots, 0, 40), reproduce());
  }

  @Test
  void partialChunks_off_storesAndLooksUpFullChunksOnly() {
    KvPrefixCache cache = cache(LAYOUT, LAYERS, kv(CHUNK, true, false));
    int[] tokens = KvTestSupport.tokens(40, random);
    Stored s = storeRandom(cache, tokens);
    assertEquals(2, s.result().storedChunks());
    assertEquals(32, s.result().endToken());
    assertEquals(2, cache.chunkKeys(tokens).size());
    assertEquals(32, cache.lookup(tokens).hitTokens());
  }

  @Test
  void fromToken_skipsComputedTokens_withTheSameKeysAsAFullStore() {
    KvPrefixCache cache = cache();
    int[] tokens = KvTestSupport.tokens(64, random);
    List<KvChunkKey> keys = cache.chunkKeys(tokens);
    KvPages pages = randomPages(LAYOUT, LAYERS);
    int[] slotsAll = slots(64);
    assertEquals(2, cache.store(Arrays.copyOf(tokens, 32), pages, Arrays.copyOf(slotsAll, 32)).storedChunks());
    cache.events().drain();

    int[] laterSlots = slotsAll.clone();
    Arrays.fill(laterSlots, 0, 32, -1);
    KvStoreResult r = cache.store(tokens, pages, laterSlots, 32);
    assertEquals(2, r.storedChunks());
    assertEquals(0, r.dedupedChunks());
    assertEquals(64, r.endToken());
    List<KvEvent> events = cache.events().drain();
    assertEquals(List.of(keys.get(2).hash(), keys.get(3).hash()), events.stream().map(KvEvent::chunkHash).toList());
    assertEquals(64, cache.lookup(tokens).hitTokens());

    KvPages target = zeroPages(LAYOUT, LAYERS);
    int[] targetSlots = slots(64);
    assertEquals(64, cache.retrieve(tokens, target, targetSlots).loadedTokens());
    assertEquals(-1, KvTestSupport.firstDifferentToken(pages, slotsAll, target, targetSlots, 0, 64), reproduce());

    // Retrieving from a token inside a chunk writes only from that token on.
    KvPages partial = zeroPages(LAYOUT, LAYERS);
    int[] partialSlots = slots(64);
    int[] maskedSlots = partialSlots.clone();
    Arrays.fill(maskedSlots, 0, 24, -1);
    KvRetrieveResult from24 = cache.retrieve(tokens, partial, maskedSlots, 24);
    assertEquals(24, from24.startToken());
    assertEquals(64, from24.endToken());
    assertEquals(40, from24.loadedTokens());
    assertEquals(-1, KvTestSupport.firstDifferentToken(pages, slotsAll, partial, partialSlots, 24, 64), reproduce());
    assertEquals(-1, KvTestSupport.firstWrittenToken(partial, partialSlots, 0, 24));
    boolean[] mask = from24.mask(64);
    assertFalse(mask[23]);
    assertTrue(mask[24] && mask[63]);
  }

  @Test
  void fromToken_insideAChunk_storesThatChunkWhole() {
    KvPrefixCache cache = cache();
    int[] tokens = KvTestSupport.tokens(48, random);
    KvPages pages = randomPages(LAYOUT, LAYERS);
    int[] s = slots(48);
    int[] masked = s.clone();
    Arrays.fill(masked, 0, 16, -1);
    KvStoreResult r = cache.store(tokens, pages, masked, 20);
    assertEquals(2, r.storedChunks());
    assertEquals(48, r.endToken());
    List<KvChunkKey> keys = cache.chunkKeys(tokens);
    assertNull(cache.tierOf(keys.get(0)));
    assertEquals("hot", cache.tierOf(keys.get(1)));
    int[] bad = s.clone();
    Arrays.fill(bad, 0, 20, -1);
    var e = assertThrows(IllegalArgumentException.class, () -> cache("m", LAYOUT, LAYERS, kv(CHUNK, true, true), b -> b.salt("x"))
        .store(tokens, pages, bad, 20));
    assertTrue(e.getMessage().startsWith("slotMapping[16]: -1 "), e.getMessage());
  }

  @Test
  void storingAgain_deduplicates_andPublishesNoEvent() {
    KvPrefixCache cache = cache();
    int[] tokens = KvTestSupport.tokens(64, random);
    Stored s = storeRandom(cache, tokens);
    assertEquals(4, s.result().storedChunks());
    List<KvEvent> events = cache.events().drain();
    assertEquals(4, events.size());
    List<KvChunkKey> keys = cache.chunkKeys(tokens);
    for (int i = 0; i < 4; i++) {
      KvEvent e = events.get(i);
      assertEquals(KvEvent.Type.STORED, e.type());
      assertEquals(keys.get(i).hash(), e.chunkHash());
      assertEquals("hot", e.tier());
      assertEquals(16, e.tokens());
      assertEquals(cache.namespace().idPrefix(), e.namespace());
    }
    KvStoreResult again = cache.store(tokens, randomPages(LAYOUT, LAYERS), slots(64));
    assertEquals(0, again.storedChunks());
    assertEquals(4, again.dedupedChunks());
    assertEquals(0, again.storedBytes());
    assertEquals(64, again.endToken());
    assertEquals(0, cache.events().size());
    KvStats st = cache.stats();
    assertEquals(2, st.storeRequests());
    assertEquals(4, st.storedChunks());
    assertEquals(4, st.dedupedChunks());
    assertEquals(s.result().storedBytes(), st.storedBytes());
  }

  static ArtifactMeta corrupt(ArtifactMeta good, String how) {
    ArtifactMeta.Builder b = ArtifactMeta.builder(ArtifactType.KV_BLOCKS);
    good.attributes().forEach((k, v) -> {
      switch (how) {
        case "shape" -> b.attribute(k, k.equals("tensor_shape") ? v.replaceFirst("\\d+", "9") : v);
        case "dtype" -> b.attribute(k, k.equals("tensor_dtype") ? "fp16" : v);
        case "tokens" -> b.attribute(k, k.equals("kv_tokens") ? "15" : v);
        case "missing" -> {
          if (!k.equals("kv_layers")) {
            b.attribute(k, v);
          }
        }
        default -> b.attribute(k, v);
      }
    });
    return how.equals("type") ? new ArtifactMeta(ArtifactType.PARAM_CHUNK, Map.of(), good.attributes()) : b.build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"shape", "dtype", "tokens", "missing", "type", "size"})
  void corruptChunk_isNeverScattered_reportedAndDeleted(String how) {
    for (boolean bundled : new boolean[] {true, false}) {
      KvPrefixCache cache = cache("m-" + bundled, LAYOUT, LAYERS, kv(CHUNK, bundled, true), b -> {});
      int[] tokens = KvTestSupport.tokens(48, random);
      Stored s = storeRandom(cache, tokens);
      KvChunkKey victim = cache.chunkKeys(tokens).get(1);
      ArtifactId id = bundled ? victim.id() : ArtifactId.of(victim.id() + "/L1");
      ArtifactMeta good;
      long size;
      try (var lease = engine.load(id)) {
        good = lease.meta();
        size = lease.size();
      }
      MemorySegment junk = arena.allocate(how.equals("size") ? size - 64 : size);
      junk.fill((byte) 0x5A);
      engine.store(id, how.equals("size") ? good : corrupt(good, how), junk);
      cache.events().drain();

      KvPages target = zeroPages(LAYOUT, LAYERS);
      int[] targetSlots = slots(48);
      KvRetrieveResult r = cache.retrieve(tokens, target, targetSlots);
      String what = how + " bundled=" + bundled;
      assertEquals(16, r.loadedTokens(), what);
      assertNotNull(r.failure(), what);
      assertEquals(KvChunkFailure.Reason.CORRUPT, r.failure().reason(), what);
      assertEquals(id, r.failure().id(), what);
      assertEquals(victim, r.failure().chunk(), what);
      assertEquals(-1, KvTestSupport.firstDifferentToken(s.pages(), s.slots(), target, targetSlots, 0, 16), what);
      assertEquals(-1, KvTestSupport.firstWrittenToken(target, targetSlots, 16, 48), what + ": a corrupt chunk was scattered");
      assertFalse(engine.contains(id), what + ": corrupt artifact not deleted");
      assertEquals(1, cache.stats().corruptChunks(), what);
      assertEquals(List.of(KvEvent.Type.REMOVED), cache.events().drain().stream().map(KvEvent::type).toList(), what);
      assertEquals(16, cache.lookup(tokens).hitTokens(), what);

      KvStoreResult healed = cache.store(tokens, s.pages(), s.slots());
      assertEquals(1, healed.storedChunks(), what);
      KvPages again = zeroPages(LAYOUT, LAYERS);
      assertEquals(48, cache.retrieve(tokens, again, targetSlots).loadedTokens(), what);
      assertEquals(-1, KvTestSupport.firstDifferentToken(s.pages(), s.slots(), again, targetSlots, 0, 48), what);
    }
  }

  @Test
  void corruptDetail_namesTheAttributeAndBothValues() {
    KvPrefixCache cache = cache();
    int[] tokens = KvTestSupport.tokens(16, random);
    storeRandom(cache, tokens);
    KvChunkKey key = cache.chunkKeys(tokens).get(0);
    ArtifactMeta good;
    long size;
    try (var lease = engine.load(key.id())) {
      good = lease.meta();
      size = lease.size();
    }
    // fp16 with the same shape: a self-consistent tensor, but not of this cache's dtype
    engine.store(key.id(), corrupt(good, "dtype"), arena.allocate(size / 2));
    KvRetrieveResult r = cache.retrieve(tokens, zeroPages(LAYOUT, LAYERS), slots(16));
    assertEquals("tier hot: tensor_dtype \"fp16\" (expected: F32)", r.failure().detail());
  }

  @Test
  void tensorHeaderInPayload_storesSafetensorsPayloads_andRetrievesThemByteIdentical() {
    for (boolean bundled : new boolean[] {true, false}) {
      KvPrefixCache cache = cache("h" + bundled, LAYOUT, LAYERS, kvWithHeader(CHUNK, bundled, true), b -> {});
      int[] tokens = KvTestSupport.tokens(40, random);
      Stored s = storeRandom(cache, tokens);
      KvChunkKey partial = cache.chunkKeys(tokens).get(2);
      ArtifactId id = bundled ? partial.id() : ArtifactId.of(partial.id() + "/L1");
      try (var lease = engine.load(id)) {
        assertEquals("true", lease.meta().attribute(TensorCodec.ATTR_HEADER));
        TensorCodec.Tensor t = TensorCodec.decode(lease.meta(), lease.segment());
        assertEquals(DType.F32, t.dtype());
        assertArrayEquals(bundled ? new long[] {2, 2, 8, 2, 8} : new long[] {2, 8, 2, 8}, t.shape());
        assertTrue(lease.size() > t.data().byteSize(), "the payload starts with a header");
      }
      KvPages target = zeroPages(LAYOUT, LAYERS);
      int[] targetSlots = slots(40);
      KvRetrieveResult r = cache.retrieve(tokens, target, targetSlots);
      assertNull(r.failure());
      assertEquals(40, r.loadedTokens());
      assertEquals(-1, KvTestSupport.firstDifferentToken(s.pages(), s.slots(), target, targetSlots, 0, 40), reproduce());
    }
  }

  @Test
  void aHeaderlessChunk_readByACacheThatWritesHeaders_isStillAValidTensor() {
    KvPrefixCache raw = cache(LAYOUT, LAYERS, kv(CHUNK, true, true));
    int[] tokens = KvTestSupport.tokens(32, random);
    Stored s = storeRandom(raw, tokens);
    raw.close();
    KvPrefixCache withHeader = cache("m", LAYOUT, LAYERS, kvWithHeader(CHUNK, true, true), b -> {});
    KvPages target = zeroPages(LAYOUT, LAYERS);
    int[] targetSlots = slots(32);
    assertEquals(32, withHeader.retrieve(tokens, target, targetSlots).loadedTokens(), "the meta says how to read the payload");
    assertEquals(-1, KvTestSupport.firstDifferentToken(s.pages(), s.slots(), target, targetSlots, 0, 32), reproduce());
  }

  @Test
  void chunkLargerThanTheTier_isRefused_andNothingAfterItIsStored() {
    useEngine(StorageEngine.builder().tier("small", "cpu", Map.of("capacity", "8KiB")).build());
    KvPrefixCache cache = cache(LAYOUT, LAYERS, kv(64, true, true));
    int[] tokens = KvTestSupport.tokens(128, random);
    KvStoreResult r = cache.store(tokens, randomPages(LAYOUT, LAYERS), slots(128));
    assertEquals(0, r.storedChunks());
    assertEquals(0, r.endToken());
    assertEquals(KvChunkFailure.Reason.REFUSED, r.failure().reason());
    assertEquals(0, r.failure().chunk().index());
    assertFalse(r.complete());
    assertEquals(1, cache.stats().refusedStores());
    assertEquals(0, cache.lookup(tokens).hitTokens());
    assertEquals(0, engine.stats().tier("small").artifacts());
  }

  @Test
  void lookup_breaksTheHitDownByTierAndMedium() {
    useTwoCpuTiers(true);
    KvPrefixCache cache = cache();
    int[] tokens = KvTestSupport.tokens(64, random);
    storeRandom(cache, tokens);
    List<KvChunkKey> keys = cache.chunkKeys(tokens);
    assertTrue(engine.tier("hot").delete(keys.get(2).id()));
    assertTrue(engine.tier("hot").delete(keys.get(3).id()));
    assertEquals("hot", cache.tierOf(keys.get(1)));
    assertEquals("warm", cache.tierOf(keys.get(3)));

    KvLookupResult r = cache.lookup(tokens);
    assertEquals(64, r.hitTokens());
    assertEquals(32, r.tokens("hot"));
    assertEquals(32, r.tokens("warm"));
    assertEquals(List.of("hot", "warm"), List.copyOf(r.tokensByTier().keySet()));
    assertEquals(64, r.tokens(KvMedium.CPU));
    assertEquals(0, r.tokens(KvMedium.SSD));
    KvStats st = cache.stats();
    assertEquals(Map.of("hot", 32L, "warm", 32L), st.hitTokensByTier());
    assertEquals(64L, st.hitTokensByMedium().get(KvMedium.CPU));
  }

  @Test
  void perLayerChunks_areFoundOnlyWhenEveryLayerIsPresent() {
    KvPrefixCache cache = cache(LAYOUT, LAYERS, kv(CHUNK, false, true));
    int[] tokens = KvTestSupport.tokens(48, random);
    storeRandom(cache, tokens);
    KvChunkKey k1 = cache.chunkKeys(tokens).get(1);
    assertTrue(engine.contains(ArtifactId.of(k1.id() + "/L0")));
    assertFalse(engine.contains(k1.id()), "per-layer chunks have no bundled artifact");
    assertTrue(engine.delete(ArtifactId.of(k1.id() + "/L1")));
    assertNull(cache.tierOf(k1));
    assertEquals(16, cache.lookup(tokens).hitTokens());
    KvStoreResult r = cache.store(tokens, randomPages(LAYOUT, LAYERS), slots(48));
    assertEquals(1, r.storedChunks(), "only the missing layer's chunk is written");
    assertEquals(2, r.dedupedChunks());
    assertEquals(KvChunkLayout.payloadBytes(LAYOUT, 1, 16), r.storedBytes());
    assertEquals(48, cache.lookup(tokens).hitTokens());
  }

  @Test
  void eventQueue_isBounded_droppingTheOldest() {
    KvPrefixCache cache = cache("m", LAYOUT, LAYERS, kv(CHUNK, true, true), b -> b.eventCapacity(2));
    int[] tokens = KvTestSupport.tokens(64, random);
    storeRandom(cache, tokens);
    List<KvChunkKey> keys = cache.chunkKeys(tokens);
    assertEquals(2, cache.events().dropped());
    assertEquals(4, cache.events().published());
    assertEquals(List.of(keys.get(2).hash(), keys.get(3).hash()),
        cache.events().drain().stream().map(KvEvent::chunkHash).toList());
    assertEquals(0, cache.events().size());
  }

  @Test
  void remove_deletesEveryChunk_andPublishesRemovedEvents() {
    for (boolean bundled : new boolean[] {true, false}) {
      KvPrefixCache cache = cache("r" + bundled, LAYOUT, LAYERS, kv(CHUNK, bundled, true), b -> {});
      int[] tokens = KvTestSupport.tokens(40, random);
      storeRandom(cache, tokens);
      cache.events().drain();
      assertEquals(3, cache.remove(tokens));
      assertEquals(0, cache.lookup(tokens).hitTokens());
      List<KvEvent> events = cache.events().drain();
      assertEquals(3, events.size());
      assertTrue(events.stream().allMatch(e -> e.type() == KvEvent.Type.REMOVED && e.tier().equals("*")));
      assertEquals(0, cache.remove(tokens));
      assertEquals(3, cache.stats().removedChunks());
    }
  }

  @Test
  void stats_countPromptAndHitTokens_andTheCumulativeHitRate() {
    KvPrefixCache cache = cache();
    int[] tokens = KvTestSupport.tokens(64, random);
    Stored s = storeRandom(cache, Arrays.copyOf(tokens, 32));
    cache.lookup(tokens);
    cache.lookup(Arrays.copyOf(tokens, 32));
    cache.lookup(KvTestSupport.tokens(32, random));
    cache.retrieve(tokens, zeroPages(LAYOUT, LAYERS), slots(64));
    KvStats st = cache.stats();
    assertEquals(3, st.lookups());
    assertEquals(128, st.promptTokens());
    assertEquals(64, st.hitTokens());
    assertEquals(0.5, st.hitRate());
    assertEquals(1, st.retrieveRequests());
    assertEquals(32, st.loadedTokens());
    assertEquals(2, st.loadedChunks());
    assertEquals(s.result().storedBytes(), st.loadedBytes());
    assertEquals(1, st.missingChunks());
  }

  @Test
  void batches_storeSharedPrefixesOnce_andRetrieveEveryRequest() {
    KvPrefixCache cache = cache();
    int[] shared = KvTestSupport.tokens(32, random);
    List<int[]> prompts = List.of(concat(shared, 16), concat(shared, 32), concat(shared, 8));
    List<KvRequest> stores = prompts.stream().map(p -> {
      int[] s = slots(p.length);
      KvPages pages = zeroPages(LAYOUT, LAYERS);
      KvTestSupport.fillDeterministic(pages, p, s);
      return new KvRequest(p, pages, s);
    }).toList();
    List<KvStoreResult> stored = cache.storeAll(stores);
    assertEquals(3, stored.size());
    assertEquals(2 + 1 + 2 + 1, stored.stream().mapToInt(KvStoreResult::storedChunks).sum(), "shared chunks stored once");
    assertEquals(List.of(48, 64, 40), cache.lookupAll(prompts).stream().map(KvLookupResult::hitTokens).toList());

    List<KvRequest> loads = prompts.stream().map(p -> new KvRequest(p, zeroPages(LAYOUT, LAYERS), slots(p.length))).toList();
    List<KvRetrieveResult> loaded = cache.retrieveAll(loads);
    for (int i = 0; i < prompts.size(); i++) {
      KvRequest in = stores.get(i);
      KvRequest out = loads.get(i);
      assertEquals(prompts.get(i).length, loaded.get(i).loadedTokens());
      assertEquals(-1, KvTestSupport.firstDifferentToken(in.pages(), in.slotMapping(), out.pages(), out.slotMapping(), 0,
          prompts.get(i).length), "request " + i + "; " + reproduce());
    }
  }

  private int[] concat(int[] prefix, int more) {
    int[] out = Arrays.copyOf(prefix, prefix.length + more);
    System.arraycopy(KvTestSupport.tokens(more, random), 0, out, prefix.length, more);
    return out;
  }

  @Test
  void badArguments_areRejected_namingTheValue() {
    KvPrefixCache cache = cache();
    int[] tokens = KvTestSupport.tokens(32, random);
    KvPages pages = randomPages(LAYOUT, LAYERS);
    var e = assertThrows(IllegalArgumentException.class, () -> cache.store(tokens, pages, slots(31)));
    assertEquals("slotMapping: 31 slots (expected: one per token, 32)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> cache.retrieve(tokens, pages, slots(32), 33));
    assertEquals("fromToken: 33 (expected: 0 to 32)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> cache.store(tokens, randomPages(LAYOUT, 3), slots(32)));
    assertEquals("pages: 3 layers (expected: 2)", e.getMessage());
    KvLayout other = KvLayout.flashInfer(64, 16, 2, 8, DType.F32);
    e = assertThrows(IllegalArgumentException.class, () -> cache.retrieve(tokens, randomPages(other, LAYERS), slots(32)));
    assertTrue(e.getMessage().startsWith("pages layout: "), e.getMessage());
    int[] outside = slots(32);
    outside[5] = LAYOUT.slots();
    e = assertThrows(IllegalArgumentException.class, () -> cache.store(tokens, pages, outside));
    assertTrue(e.getMessage().startsWith("slotMapping[5]: 1024 (expected: 0 to 1023"), e.getMessage());
    storeRandom(cache, tokens);
    e = assertThrows(IllegalArgumentException.class, () -> cache.retrieve(tokens, pages, outside));
    assertTrue(e.getMessage().startsWith("slotMapping[5]: 1024 "), e.getMessage());
    KvLayerwiseRetrieval h = cache.retrieveLayerwise(tokens, pages, outside);
    assertThrows(IllegalArgumentException.class, () -> h.awaitLayer(1));
    assertThrows(IllegalArgumentException.class, h::await);
  }

  @Test
  void builder_refusesNonsense() {
    KvPrefixCache.Builder b = KvPrefixCache.builder(engine).model("m");
    assertEquals("builder: model was already set to m", assertThrows(ConfigException.class, () -> b.model("x")).getMessage());
    assertEquals("builder: layout is not set (expected: the pages' KvLayout)", assertThrows(ConfigException.class, b::build).getMessage());
    b.layout(LAYOUT);
    assertThrows(ConfigException.class, b::build);
    assertThrows(ConfigException.class, () -> b.layers(0));
    b.layers(2);
    assertEquals("builder: layers was already set to 2", assertThrows(ConfigException.class, () -> b.layers(3)).getMessage());
    UnaryOperator<KvPrefixCache.Builder> base = x -> x.model("m").layout(LAYOUT).layers(2);
    assertEquals("chunkSize: 0 (expected: a positive number of tokens, e.g. 256)",
        assertThrows(IllegalArgumentException.class, () -> KvConfig.builder().chunkSize(0)).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> KvConfig.builder().tensorCodec("safetensors"))
        .getMessage().startsWith("tensorCodec: \"safetensors\" (expected: \"stable\""));
    assertEquals("chunkSize was already set to 16",
        assertThrows(IllegalStateException.class, () -> KvConfig.builder().chunkSize(16).chunkSize(32)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> base.apply(KvPrefixCache.builder(engine)).tensorParallel(2, 2).build());
  }

  @Test
  void defaults_comeFromTheEngineConfiguration() {
    KvPrefixCache cache = KvPrefixCache.builder(engine).model("m").layout(LAYOUT).layers(LAYERS).build();
    try {
      assertEquals(KvConfig.from(engine.config()), cache.config());
      assertEquals(256, cache.config().chunkSize());
      int[] tokens = KvTestSupport.tokens(300, random);
      assertEquals(2, cache.chunkKeys(tokens).size());
      assertArrayEquals(new int[] {256, 44}, cache.chunkKeys(tokens).stream().mapToInt(KvChunkKey::tokens).toArray());
      assertEquals(KvNamespace.ID_PREFIX_HEX + 3 + 1 + 64, cache.chunkKeys(tokens).get(0).id().value().length());
      assertTrue(cache.chunkKeys(tokens).get(0).id().value().startsWith("kv/" + cache.namespace().idPrefix() + "/"));
    } finally {
      cache.close();
    }
  }

  @Test
  void closedCache_refusesCalls() {
    KvPrefixCache cache = cache();
    cache.close();
    cache.close();
    var e = assertThrows(IllegalStateException.class, () -> cache.lookup(new int[16]));
    assertEquals("KV prefix cache for m is closed", e.getMessage());
  }
}
