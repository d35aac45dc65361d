package io.stratacache.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.stratacache.core.CapacityException;
import org.junit.jupiter.api.Test;

class PagedKvCacheTest {
  private static final ModelConfig CONFIG = ReferenceModel.tinyConfig(false);

  @Test
  void slots_followTheBlockTable() {
    try (PagedKvCache cache = new PagedKvCache(CONFIG, 8, 4);
        KvSequence a = cache.newSequence();
        KvSequence b = cache.newSequence()) {
      a.reserve(3);
      b.reserve(5);
      a.reserve(6);
      assertArrayEquals(new int[] {0, 3}, a.blockTable());
      assertArrayEquals(new int[] {1, 2}, b.blockTable());
      assertArrayEquals(new long[] {0, 1, 2, 3, 12, 13}, a.slots(0, 6));
      assertEquals(9, b.slot(5));
      assertEquals(4, cache.freeBlocks());
      assertArrayEquals(new long[] {2, 8, 4, 2, 16}, cache.layerShape());
      assertEquals(2L * 8 * 4 * 2 * 16 * 4, cache.layerPages(0).byteSize());
      assertThrows(IndexOutOfBoundsException.class, () -> a.slot(8));
      assertThrows(IllegalArgumentException.class, () -> a.setLength(9));
    }
  }

  @Test
  void reserve_beyondCapacity_throwsAndCloseGivesBlocksBack() {
    try (PagedKvCache cache = new PagedKvCache(CONFIG, 2, 4)) {
      KvSequence a = cache.newSequence();
      a.reserve(8);
      try (KvSequence b = cache.newSequence()) {
        CapacityException e = assertThrows(CapacityException.class, () -> b.reserve(1));
        assertEquals(true, e.getMessage().contains("all 2 blocks"), e.getMessage());
      }
      a.close();
      assertEquals(2, cache.freeBlocks());
      try (KvSequence c = cache.newSequence()) {
        c.reserve(8);
        assertEquals(0, cache.freeBlocks());
      }
    }
  }
}
