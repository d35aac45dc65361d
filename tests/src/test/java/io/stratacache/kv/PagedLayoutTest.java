package io.stratacache.kv;

import io.stratacache.core.tensor.DType;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Paged layouts and the gather/scatter plan, checked against an element-index reference. */
class PagedLayoutTest {
  static Stream<Arguments> layoutsAndDtypes() {
    return Stream.of(KvLayoutKind.values())
        .flatMap(k -> KvTestSupport.KV_DTYPES.stream().map(d -> Arguments.of(k, d)));
  }

  static KvLayout layout(KvLayoutKind kind, DType dtype) {
    return kind == KvLayoutKind.MLA ? KvLayout.mla(12, 16, 24, dtype) : new KvLayout(kind, 12, 16, 3, 8, dtype);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("layoutsAndDtypes")
  void rowOffset_matchesTheCOrderShape(KvLayoutKind kind, DType dtype) {
    KvLayout layout = layout(kind, dtype);
    long product = 1;
    for (long d : layout.shape()) {
      product *= d;
    }
    assertEquals(product * dtype.byteSize(), layout.layerBytes());
    for (int plane = 0; plane < layout.planes(); plane++) {
      for (int slot = 0; slot < layout.slots(); slot++) {
        assertEquals(KvTestSupport.referenceRowOffset(layout, plane, slot), layout.rowOffset(plane, slot), "plane " + plane + " slot " + slot);
      }
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("layoutsAndDtypes")
  void gatherThenScatter_shuffledSlots_isByteIdentical(KvLayoutKind kind, DType dtype) {
    long seed = KvTestSupport.seed();
    SplittableRandom random = new SplittableRandom(seed);
    KvLayout layout = layout(kind, dtype);
    int layers = 3;
    int tokens = 37;
    try (Arena arena = Arena.ofConfined()) {
      KvPages src = KvTestSupport.randomPages(arena, layout, layers, random);
      KvPages dst = KvTestSupport.zeroPages(arena, layout, layers);
      int[] slots = KvTestSupport.mixedSlots(layout, tokens + 5, random);
      int from = 5;
      SlotRuns runs = SlotRuns.of(layout, slots, from, from + tokens);
      MemorySegment chunk = arena.allocate(KvChunkLayout.payloadBytes(layout, layers, tokens));
      for (int l = 0; l < layers; l++) {
        runs.gather(src.layer(l), chunk, l);
      }
      long row = layout.rowBytes();
      for (int l = 0; l < layers; l++) {
        for (int p = 0; p < layout.planes(); p++) {
          for (int t = 0; t < tokens; t++) {
            long c = KvTestSupport.referenceChunkOffset(layout, true, layers, tokens, l, p, t);
            assertEquals(c, KvChunkLayout.rowOffset(layout, tokens, l, p, t));
            long s = KvTestSupport.referenceRowOffset(layout, p, slots[from + t]);
            assertTrue(KvTestSupport.sameBytes(src.layer(l), s, chunk, c, row),
                "layer " + l + " plane " + p + " token " + t + "; " + KvTestSupport.reproduce(seed));
          }
        }
      }
      for (int l = 0; l < layers; l++) {
        runs.scatter(chunk, l, dst.layer(l));
      }
      boolean[][] written = new boolean[layout.planes()][layout.slots()];
      for (int t = 0; t < tokens; t++) {
        for (int p = 0; p < layout.planes(); p++) {
          written[p][slots[from + t]] = true;
        }
      }
      MemorySegment zeros = arena.allocate(row);
      for (int l = 0; l < layers; l++) {
        for (int p = 0; p < layout.planes(); p++) {
          for (int s = 0; s < layout.slots(); s++) {
            long off = layout.rowOffset(p, s);
            MemorySegment expected = written[p][s] ? src.layer(l) : zeros;
            long expectedOff = written[p][s] ? off : 0;
            assertTrue(KvTestSupport.sameBytes(expected, expectedOff, dst.layer(l), off, row),
                "layer " + l + " plane " + p + " slot " + s + "; " + KvTestSupport.reproduce(seed));
          }
        }
      }
    }
  }

  @Test
  void runs_coalesceConsecutiveSlots_acrossBlocksOnlyWhereTheLayoutIsContiguous() {
    int[] sequential = java.util.stream.IntStream.range(0, 64).toArray();
    assertEquals(1, SlotRuns.of(KvLayout.flashAttn(8, 16, 2, 4, DType.BF16), sequential, 0, 64).runCount());
    assertEquals(1, SlotRuns.of(KvLayout.mla(8, 16, 4, DType.BF16), sequential, 0, 64).runCount());
    assertEquals(4, SlotRuns.of(KvLayout.flashInfer(8, 16, 2, 4, DType.BF16), sequential, 0, 64).runCount());
    assertEquals(3, SlotRuns.of(KvLayout.flashInfer(8, 16, 2, 4, DType.BF16), sequential, 8, 40).runCount());
    int[] gaps = {0, 1, 2, 5, 6, 7, 3, 4};
    assertEquals(3, SlotRuns.of(KvLayout.flashAttn(8, 16, 2, 4, DType.BF16), gaps, 0, 8).runCount());
  }

  @Test
  void runs_rejectSlotsOutsideTheBuffer() {
    KvLayout layout = KvLayout.flashAttn(4, 16, 2, 4, DType.BF16);
    var e = assertThrows(IllegalArgumentException.class, () -> SlotRuns.of(layout, new int[] {0, 1, 64}, 0, 3));
    assertTrue(e.getMessage().startsWith("slotMapping[2]: 64 (expected: 0 to 63 for "), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SlotRuns.of(layout, new int[] {0, -1}, 0, 2));
    assertTrue(e.getMessage().startsWith("slotMapping[1]: -1 "), e.getMessage());
  }

  @Test
  void layout_rejectsNonsense() {
    assertEquals("numBlocks: 0 (expected: > 0)",
        assertThrows(IllegalArgumentException.class, () -> KvLayout.flashAttn(0, 16, 8, 128, DType.BF16)).getMessage());
    assertEquals("heads: 4 (expected: 1 for the mla layout [blocks, block_size, dim])",
        assertThrows(IllegalArgumentException.class, () -> new KvLayout(KvLayoutKind.MLA, 4, 16, 4, 64, DType.BF16)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> KvLayout.flashAttn(1 << 20, 1 << 12, 8, 128, DType.BF16));
    assertArrayEquals(new long[] {2, 4, 16, 8, 128}, KvLayout.flashAttn(4, 16, 8, 128, DType.BF16).shape());
    assertArrayEquals(new long[] {4, 2, 16, 8, 128}, KvLayout.flashInfer(4, 16, 8, 128, DType.BF16).shape());
    assertArrayEquals(new long[] {4, 16, 576}, KvLayout.mla(4, 16, 576, DType.BF16).shape());
  }

  @Test
  void pages_mustMatchTheLayoutSize() {
    KvLayout layout = KvLayout.flashAttn(4, 16, 2, 4, DType.F32);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment ok = arena.allocate(layout.layerBytes());
      MemorySegment small = arena.allocate(layout.layerBytes() - 4);
      var e = assertThrows(IllegalArgumentException.class, () -> new KvPages(layout, List.of(ok, small)));
      assertTrue(e.getMessage().startsWith("layer 1 buffer: " + (layout.layerBytes() - 4) + " bytes (expected: " + layout.layerBytes()), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> new KvPages(layout, List.of()));
      assertEquals(2, new KvPages(layout, List.of(ok, ok)).layerCount());
    }
  }

  @Test
  void chunkShapes_bundledAndPerLayer() {
    KvLayout kv = KvLayout.flashInfer(4, 16, 8, 128, DType.BF16);
    KvLayout mla = KvLayout.mla(4, 16, 576, DType.BF16);
    assertArrayEquals(new long[] {32, 2, 256, 8, 128}, KvChunkLayout.shape(kv, true, 32, 256));
    assertArrayEquals(new long[] {2, 256, 8, 128}, KvChunkLayout.shape(kv, false, 1, 256));
    assertArrayEquals(new long[] {61, 256, 576}, KvChunkLayout.shape(mla, true, 61, 256));
    assertArrayEquals(new long[] {256, 576}, KvChunkLayout.shape(mla, false, 1, 256));
    assertEquals(32L << 20, KvChunkLayout.payloadBytes(KvLayout.flashAttn(4, 16, 8, 128, DType.BF16), 32, 256));
  }
}
