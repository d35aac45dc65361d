package io.stratacache.kv;

import io.stratacache.core.tensor.DType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Store then retrieve through a real engine, for every paged layout × dtype × {bundled, per
 * layer}: pages written by a retrieve are byte-identical to the pages the chunks were gathered
 * from, with shuffled, non-contiguous slot mappings on both sides, and no other slot is touched.
 */
@ParameterizedClass(name = "{0} {1} bundled={2}")
@MethodSource("cases")
class KvRoundTripTest extends KvEngineFixture {
  static final int LAYERS = 3;
  static final int CHUNK = 16;
  static final int TOKENS = 6 * CHUNK + 4;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (KvLayoutKind kind : KvLayoutKind.values()) {
      for (DType dtype : KvTestSupport.KV_DTYPES) {
        for (boolean bundled : new boolean[] {true, false}) {
          out.add(Arguments.of(kind, dtype, bundled));
        }
      }
    }
    return out.stream();
  }

  @Parameter(0)
  KvLayoutKind kind;

  @Parameter(1)
  DType dtype;

  @Parameter(2)
  boolean bundled;

  private KvLayout layout() {
    return kind == KvLayoutKind.MLA ? KvLayout.mla(16, 16, 24, dtype) : new KvLayout(kind, 16, 16, 2, 8, dtype);
  }

  @Test
  void storeThenRetrieve_isByteIdentical_andTouchesNoOtherSlot() {
    KvLayout layout = layout();
    KvPrefixCache cache = cache(layout, LAYERS, kv(CHUNK, bundled, true));
    int[] tokens = KvTestSupport.tokens(TOKENS, random);
    KvPages source = randomPages(layout, LAYERS);
    int[] sourceSlots = KvTestSupport.mixedSlots(layout, TOKENS, random);

    KvStoreResult stored = cache.store(tokens, source, sourceSlots);
    assertNull(stored.failure(), reproduce());
    assertEquals(7, stored.storedChunks());
    assertEquals(TOKENS, stored.endToken());
    assertEquals(KvChunkLayout.payloadBytes(layout, LAYERS, TOKENS), stored.storedBytes());
    assertEquals(TOKENS, cache.lookup(tokens).hitTokens());

    KvPages target = zeroPages(layout, LAYERS);
    int[] targetSlots = KvTestSupport.shuffledSlots(layout, TOKENS, random);
    KvRetrieveResult r = cache.retrieve(tokens, target, targetSlots);
    assertNull(r.failure(), reproduce());
    assertEquals(0, r.startToken());
    assertEquals(TOKENS, r.loadedTokens());
    assertEquals(7, r.loadedChunks());
    assertEquals(stored.storedBytes(), r.loadedBytes());
    assertEquals(-1, KvTestSupport.firstDifferentToken(source, sourceSlots, target, targetSlots, 0, TOKENS), reproduce());
    assertEquals(-1, KvTestSupport.firstWrittenToken(target, unused(layout, targetSlots), 0, layout.slots() - TOKENS), reproduce());
  }

  @Test
  void layerwiseRetrieve_fillsEachLayerByTheTimeItIsAwaited() {
    KvLayout layout = layout();
    KvPrefixCache cache = cache(layout, LAYERS, kv(CHUNK, bundled, true));
    int[] tokens = KvTestSupport.tokens(TOKENS, random);
    KvPages source = randomPages(layout, LAYERS);
    int[] sourceSlots = KvTestSupport.blockSlots(layout, TOKENS, random);
    cache.store(tokens, source, sourceSlots);

    KvPages target = zeroPages(layout, LAYERS);
    int[] targetSlots = KvTestSupport.shuffledSlots(layout, TOKENS, random);
    KvLayerwiseRetrieval handle = cache.retrieveLayerwise(tokens, target, targetSlots);
    assertEquals(LAYERS, handle.layerCount());
    for (int l = 0; l < LAYERS; l++) {
      assertEquals(TOKENS, handle.awaitLayer(l), "layer " + l);
      KvPages one = new KvPages(layout, List.of(source.layer(l)));
      KvPages got = new KvPages(layout, List.of(target.layer(l)));
      assertEquals(-1, KvTestSupport.firstDifferentToken(one, sourceSlots, got, targetSlots, 0, TOKENS), "layer " + l + "; " + reproduce());
    }
    KvRetrieveResult r = handle.await();
    assertNull(r.failure());
    assertEquals(TOKENS, r.loadedTokens());
    assertEquals(KvChunkLayout.payloadBytes(layout, LAYERS, TOKENS), r.loadedBytes());
  }

  private static int[] unused(KvLayout layout, int[] used) {
    boolean[] taken = new boolean[layout.slots()];
    for (int s : used) {
      taken[s] = true;
    }
    int[] out = new int[layout.slots() - used.length];
    int n = 0;
    for (int s = 0; s < taken.length; s++) {
      if (!taken[s]) {
        out[n++] = s;
      }
    }
    return out;
  }
}
