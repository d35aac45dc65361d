package io.stratacache.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.tensor.DType;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Chunks a tier evicts to make room reach the event queue as REMOVED events naming that tier. */
class KvEvictionEventsTest extends KvEngineFixture {
  static final KvLayout LAYOUT = KvLayout.flashAttn(64, 16, 2, 64, DType.F32);

  @Test
  void chunksEvictedFromATier_arePublishedAsRemovedFromThatTier() {
    // a 1 MiB head over an 8 MiB tier: each 16-token chunk of 4 layers is 64 KiB, so 64 chunks overflow the head;
    // maintenance off (high_watermark 1.0), so every eviction is a store's own and done when the store returns
    useEngine(io.stratacache.engine.StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", "1MiB", "high_watermark", 1.0))
        .tier("warm", "cpu", Map.of("capacity", "8MiB"))
        .build());
    KvPrefixCache cache = cache("evict", LAYOUT, 4, kv(16, true, false), b -> {});
    KvPages pages = KvTestSupport.randomPages(arena, LAYOUT, 4, random);
    int[] tokens = KvTestSupport.tokens(64 * 16, random);
    int[] slots = new int[tokens.length];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = i;
    }
    KvStoreResult stored = cache.store(tokens, pages, slots);
    assertEquals(64, stored.storedChunks(), reproduce());

    List<KvEvent> events = cache.events().drain();
    List<KvEvent> removed = events.stream().filter(e -> e.type() == KvEvent.Type.REMOVED).toList();
    assertFalse(removed.isEmpty(), "the head had to evict chunks: " + engine.stats());
    assertTrue(removed.stream().allMatch(e -> e.tier().equals("hot") && e.tokens() == 16), removed.toString());
    Set<String> storedHashes = events.stream().filter(e -> e.type() == KvEvent.Type.STORED)
        .map(KvEvent::chunkHash).collect(Collectors.toSet());
    assertTrue(storedHashes.containsAll(removed.stream().map(KvEvent::chunkHash).toList()),
        "every evicted hash is one this cache stored");
    assertEquals(engine.stats().tier("hot").evictions(), removed.size());
    // the evicted chunks were demoted, so the whole prompt is still a hit
    assertEquals(tokens.length, cache.lookup(tokens).hitTokens());
  }
}
