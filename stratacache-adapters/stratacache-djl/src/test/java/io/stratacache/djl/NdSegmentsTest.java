package io.stratacache.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class NdSegmentsTest {
  @Test
  void wrap_sharesMemoryBothWays() {
    try (Arena arena = Arena.ofConfined(); NDManager m = DjlRuntime.newManager()) {
      MemorySegment seg = arena.allocate(6 * 4, 64);
      NDArray a = NdSegments.wrap(m, seg, new Shape(2, 3), DataType.FLOAT32);
      seg.setAtIndex(ValueLayout.JAVA_FLOAT, 4, 42f);
      assertEquals(42f, a.getFloat(1, 1), "a write to the segment is seen by the array");
      a.set(new NDIndex("0, :"), 7f);
      assertEquals(7f, seg.getAtIndex(ValueLayout.JAVA_FLOAT, 2), "an in-place write to the array is seen in the segment");
      a.close();
    }
  }

  @Test
  void view_sharesTheArraysStorage() {
    try (NDManager m = DjlRuntime.newManager()) {
      NDArray a = m.arange(8f).reshape(2, 4);
      MemorySegment v = NdSegments.view(a);
      assertEquals(32, v.byteSize());
      assertEquals(5f, v.getAtIndex(ValueLayout.JAVA_FLOAT, 5));
      v.setAtIndex(ValueLayout.JAVA_FLOAT, 0, -1f);
      assertEquals(-1f, a.getFloat(0, 0));
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment copy = arena.allocate(32);
        NdSegments.copyTo(a, copy);
        assertArrayEquals(a.toFloatArray(), copy.toArray(ValueLayout.JAVA_FLOAT));
        assertThrows(IllegalArgumentException.class, () -> NdSegments.copyTo(a, arena.allocate(31)));
      }
    }
  }

  @Test
  void wrap_refusesHeapMisalignedAndMissizedSegments() {
    try (Arena arena = Arena.ofConfined(); NDManager m = DjlRuntime.newManager()) {
      assertThrows(IllegalArgumentException.class,
          () -> NdSegments.wrap(m, MemorySegment.ofArray(new float[4]), new Shape(4), DataType.FLOAT32));
      MemorySegment seg = arena.allocate(20, 64);
      assertThrows(IllegalArgumentException.class, () -> NdSegments.wrap(m, seg.asSlice(1, 16), new Shape(4), DataType.FLOAT32));
      assertThrows(IllegalArgumentException.class, () -> NdSegments.wrap(m, seg, new Shape(4), DataType.FLOAT32));
    }
  }
}
