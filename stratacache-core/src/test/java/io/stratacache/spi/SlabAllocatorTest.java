package io.stratacache.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SlabAllocatorTest {
  private static final long SEED = Long.getLong("tests.seed", System.nanoTime());

  @Test
  void blockSize_roundsUpToTheAlignment_andIsAtLeastOneUnit() {
    SlabAllocator a = new SlabAllocator(4096, 64);
    assertEquals(64, a.blockSize(0));
    assertEquals(64, a.blockSize(1));
    assertEquals(64, a.blockSize(64));
    assertEquals(128, a.blockSize(65));
    assertEquals(4096, a.blockSize(4033));
  }

  @Test
  void allocate_returnsAlignedDisjointBlocks_untilFull() {
    SlabAllocator a = new SlabAllocator(1024, 64);
    List<Long> offsets = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      long off = a.allocate(64);
      assertTrue(off >= 0 && off % 64 == 0, "offset " + off);
      offsets.add(off);
    }
    assertEquals(16, offsets.stream().distinct().count());
    assertEquals(-1, a.allocate(64), "a full slab");
    assertEquals(0, a.freeBytes());
    assertEquals(0, a.freeBlocks());
  }

  @Test
  void free_coalescesWithBothNeighbours() {
    SlabAllocator a = new SlabAllocator(64 * 5, 64);
    long[] b = new long[5];
    for (int i = 0; i < 5; i++) {
      b[i] = a.allocate(64);
    }
    a.free(b[1], 64);
    a.free(b[3], 64);
    assertEquals(2, a.freeBlocks());
    assertEquals(-1, a.allocate(128), "two separate units are not one block of two");
    a.free(b[2], 64);
    assertEquals(1, a.freeBlocks(), "middle free merges left and right");
    assertEquals(192, a.largestFree());
    assertEquals(b[1], a.allocate(192));
  }

  @Test
  void allocate_takesTheBestFit_leavingLargeBlocksWhole() {
    SlabAllocator a = new SlabAllocator(64 * 10, 64);
    long small = a.allocate(64);
    long guard1 = a.allocate(64);
    long large = a.allocate(64 * 3);
    long guard2 = a.allocate(64 * 5);
    a.free(large, 64 * 3);
    a.free(small, 64);
    assertEquals(small, a.allocate(64), "the one-unit hole fits exactly");
    assertEquals(large, a.allocate(64 * 3), "the three-unit hole stayed whole");
    assertTrue(guard1 >= 0 && guard2 >= 0);
  }

  @Test
  void free_ofABlockNotAllocated_isRefused() {
    SlabAllocator a = new SlabAllocator(1024, 64);
    long off = a.allocate(128);
    a.free(off, 128);
    assertThrows(IllegalStateException.class, () -> a.free(off, 128), "double free");
    long x = a.allocate(256);
    assertThrows(IllegalStateException.class, () -> a.free(x + 256, 128), "free of free space");
    assertThrows(IllegalStateException.class, () -> a.free(1024, 64), "beyond the slab");
  }

  @Test
  void constructor_refusesBadGeometry() {
    assertThrows(IllegalArgumentException.class, () -> new SlabAllocator(1024, 48));
    assertThrows(IllegalArgumentException.class, () -> new SlabAllocator(1000, 64));
  }

  /**
   * Random allocate/free against a bitmap model: blocks never overlap, free space is exact, no two
   * free blocks are adjacent (at most live + 1 free blocks), and freeing everything leaves one block.
   */
  @Test
  void randomAllocateAndFree_keepTheInvariants() {
    long unit = 64;
    int units = 4096;
    SlabAllocator a = new SlabAllocator(unit * units, unit);
    BitSet used = new BitSet(units);
    List<long[]> live = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(SEED);
    String reproduce = " (reproduce with -Dtests.seed=" + SEED + ")";
    for (int step = 0; step < 10_000; step++) {
      if (live.isEmpty() || random.nextInt(100) < 55) {
        long size = a.blockSize(1 + random.nextLong(unit * 200));
        long off = a.allocate(size);
        if (off < 0) {
          assertTrue(freeRuns(used, units)[1] * unit < size, "refused though a free run fits" + reproduce);
          continue;
        }
        int from = (int) (off / unit);
        int to = (int) ((off + size) / unit);
        assertTrue(used.get(from, to).isEmpty(), "overlapping block at " + off + reproduce);
        used.set(from, to);
        live.add(new long[] {off, size});
      } else {
        long[] b = live.remove(random.nextInt(live.size()));
        a.free(b[0], b[1]);
        used.clear((int) (b[0] / unit), (int) ((b[0] + b[1]) / unit));
      }
      assertEquals((units - used.cardinality()) * unit, a.freeBytes(), "free bytes" + reproduce);
      assertTrue(a.freeBlocks() <= live.size() + 1, "uncoalesced free blocks" + reproduce);
      int[] runs = freeRuns(used, units);
      assertEquals(runs[0], a.freeBlocks(), "free blocks vs model" + reproduce);
      assertEquals(runs[1] * unit, a.largestFree(), "largest free block vs model" + reproduce);
    }
    for (long[] b : live) {
      a.free(b[0], b[1]);
    }
    assertEquals(1, a.freeBlocks());
    assertEquals(unit * units, a.largestFree());
  }

  /** {number of runs of free units, longest run} in the model. */
  private static int[] freeRuns(BitSet used, int n) {
    int runs = 0;
    int longest = 0;
    int current = 0;
    for (int i = 0; i < n; i++) {
      if (used.get(i)) {
        current = 0;
      } else {
        if (current++ == 0) {
          runs++;
        }
        longest = Math.max(longest, current);
      }
    }
    return new int[] {runs, longest};
  }
}
