package io.stratacache.backend.cxl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class CxlLayoutTest {
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

  @Test
  void forCapacity_holdsExactlyTheCapacityInWholeBlocks_andFittingItsRegionGivesItBack() {
    long[] capacities = {1, 4095, 4096, 65_536, 1 << 20, (64L << 20) - 4096, 64L << 20, (64L << 20) + 12_288, 3L << 30};
    int[] blocks = {64, 512, 4096, 65_536, 1 << 20};
    int[] slotCounts = {1, 63, 64, 1024, 1025, 50_000};
    int[] processes = {1, 7, 32};
    for (long capacity : capacities) {
      for (int block : blocks) {
        for (int slots : slotCounts) {
          for (int procs : processes) {
            String what = "capacity " + capacity + ", block " + block + ", slots " + slots + ", processes " + procs;
            CxlLayout.Geometry g = CxlLayout.Geometry.forCapacity(capacity, slots, block, 64, procs);
            assertEquals((capacity + block - 1) / block * block, g.dataBytes(), what);
            assertEquals(0, g.regionBytes() % 4096, what + ": whole pages");
            assertTrue(g.dataEnd() <= g.regionBytes() && g.regionBytes() - g.dataEnd() < 4096, what + ": no spare page");
            assertEquals(0, g.dataOffset() % Math.max(block, 4096), what + ": data aligned");
            assertTrue(g.dataOffset() >= g.bitmapOffset() + g.bitmapWordCount() * 8, what + ": bitmap before data");
            CxlLayout.Geometry fitted =
                CxlLayout.Geometry.fitting(g.regionBytes(), slots, block, 64, procs, g.dataBlocks());
            assertEquals(g, fitted, what + ": the region's own geometry");
            CxlLayout.Geometry whole = CxlLayout.Geometry.of(g.regionBytes(), slots, block, 64, procs);
            assertTrue(whole.dataBlocks() >= g.dataBlocks() && whole.dataEnd() <= g.regionBytes(), what);
            CxlLayout.Geometry bigger = CxlLayout.Geometry.withBlocks(slots, block, 64, procs, whole.dataBlocks() + 1);
            assertTrue(bigger.dataEnd() > g.regionBytes(), what + ": fitting takes as many blocks as fit");
          }
        }
      }
    }
  }

  @Test
  void fitting_aRegionTooSmallForOneBlock_hasNoDataBlocks() {
    CxlLayout.Geometry g = CxlLayout.Geometry.of(64 << 10, 1024, 4096, 4096, 32);
    assertEquals(0, g.dataBlocks());
  }

  @Test
  void header_writtenThenRead_isTheSameConsistentGeometry() {
    CxlLayout.Geometry g = CxlLayout.Geometry.forCapacity(1 << 20, 100, 4096, 4096, 4);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment region = arena.allocate(g.regionBytes(), 4096);
      g.write(region);
      CxlLayout.Geometry read = CxlLayout.Geometry.read(region);
      assertEquals(g, read);
      assertTrue(read.isConsistent(region));
    }
  }

  @Test
  void header_withSlackBeforeTheData_isAccepted_andImpossibleOnesAreNot() {
    CxlLayout.Geometry g = CxlLayout.Geometry.forCapacity(1 << 20, 100, 4096, 4096, 4);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment region = arena.allocate(g.regionBytes(), 4096);
      g.write(region);
      // A page of slack before the data area, as earlier releases could leave: still valid.
      region.set(LONG, CxlLayout.DATA_AREA_OFFSET, g.dataOffset() + 4096);
      region.set(LONG, CxlLayout.DATA_BLOCKS_OFFSET, g.dataBlocks() - 1);
      CxlLayout.Geometry slack = CxlLayout.Geometry.read(region);
      assertTrue(slack.isConsistent(region));
      assertEquals(g.dataOffset() + 4096, slack.dataOffset());

      region.set(LONG, CxlLayout.DATA_BLOCKS_OFFSET, g.dataBlocks());
      assertFalse(CxlLayout.Geometry.read(region).isConsistent(region), "data past the end of the region");
      region.set(LONG, CxlLayout.DATA_BLOCKS_OFFSET, g.dataBlocks() - 1);
      region.set(LONG, CxlLayout.DATA_AREA_OFFSET, g.dataOffset() + 512);
      assertFalse(CxlLayout.Geometry.read(region).isConsistent(region), "unaligned data area");
      region.set(LONG, CxlLayout.DATA_AREA_OFFSET, g.dataOffset());
      region.set(LONG, CxlLayout.INDEX_AREA_OFFSET, g.indexOffset() + 8);
      assertFalse(CxlLayout.Geometry.read(region).isConsistent(region), "index elsewhere than the slots imply");
      region.set(LONG, CxlLayout.INDEX_AREA_OFFSET, g.indexOffset());
      assertTrue(CxlLayout.Geometry.read(region).isConsistent(region));
      assertFalse(CxlLayout.Geometry.read(region.asSlice(0, g.regionBytes() - 4096)).isConsistent(
          region.asSlice(0, g.regionBytes() - 4096)), "a header for a larger region");
    }
  }
}
