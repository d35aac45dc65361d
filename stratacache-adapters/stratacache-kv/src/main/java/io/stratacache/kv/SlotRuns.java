package io.stratacache.kv;

import java.lang.foreign.MemorySegment;

/**
 * The copy plan between one chunk's token rows and their slots in a paged layer buffer.
 *
 * <p>Design note: the slot mapping of a chunk is split once into runs of consecutive slots that
 * are adjacent in memory (inside one block; across blocks too where the layout keeps blocks of a
 * plane back to back). Each run is one {@link MemorySegment#copy} of {@code run length × rowBytes}
 * bytes per plane per layer, so a chunk whose slots follow each other costs a few large copies and
 * a shuffled mapping costs one row copy per token, never more. The plane stride is the same for
 * every slot of a layout ({@code slots × rowBytes} for flash-attention, {@code blockSize ×
 * rowBytes} for FlashInfer), so one plan serves both planes and every layer.
 */
final class SlotRuns {
  private final int runs;
  private final long[] pageOffset;
  private final long[] chunkOffset;
  private final long[] length;
  private final long pagePlaneStride;
  private final long chunkPlaneBytes;
  private final int planes;

  private SlotRuns(int runs, long[] pageOffset, long[] chunkOffset, long[] length, KvLayout layout, int tokens) {
    this.runs = runs;
    this.pageOffset = pageOffset;
    this.chunkOffset = chunkOffset;
    this.length = length;
    this.planes = layout.planes();
    this.pagePlaneStride = planes == 1 ? 0 : layout.rowOffset(1, 0);
    this.chunkPlaneBytes = tokens * layout.rowBytes();
  }

  /**
   * The plan for the whole chunk of tokens {@code [from, to)} of {@code slotMapping}.
   *
   * @throws IllegalArgumentException if a slot is outside {@code [0, layout.slots())}
   */
  static SlotRuns of(KvLayout layout, int[] slotMapping, int from, int to) {
    return of(layout, slotMapping, from, from, to - from);
  }

  /**
   * The plan for tokens {@code [from, chunkStart + chunkTokens)} of a chunk of {@code chunkTokens}
   * tokens starting at token {@code chunkStart}; the chunk's rows before {@code from} are left out.
   *
   * @throws IllegalArgumentException if a slot is outside {@code [0, layout.slots())}
   */
  static SlotRuns of(KvLayout layout, int[] slotMapping, int chunkStart, int from, int chunkTokens) {
    int to = chunkStart + chunkTokens;
    int slots = layout.slots();
    int blockSize = layout.blockSize();
    boolean acrossBlocks = layout.kind().slotsContiguous();
    long row = layout.rowBytes();
    int n = to - from;
    long[] pageOffset = new long[n];
    long[] chunkOffset = new long[n];
    long[] length = new long[n];
    int runs = 0;
    int runStart = -1;
    int prev = -2;
    for (int t = from; t < to; t++) {
      int slot = slotMapping[t];
      if (slot < 0 || slot >= slots) {
        throw new IllegalArgumentException(
            "slotMapping[" + t + "]: " + slot + " (expected: 0 to " + (slots - 1) + " for " + layout + ")");
      }
      boolean continues = slot == prev + 1 && (acrossBlocks || slot % blockSize != 0);
      if (!continues) {
        if (runStart >= 0) {
          length[runs++] = (t - runStart) * row;
        }
        runStart = t;
        pageOffset[runs] = layout.rowOffset(0, slot);
        chunkOffset[runs] = (t - chunkStart) * row;
      }
      prev = slot;
    }
    if (runStart >= 0) {
      length[runs++] = (to - runStart) * row;
    }
    return new SlotRuns(runs, pageOffset, chunkOffset, length, layout, chunkTokens);
  }

  /** Number of contiguous runs (copies per plane per layer). */
  int runCount() {
    return runs;
  }

  /** Copies the rows of the plan from {@code page} into layer {@code chunkLayer} of {@code chunk}. */
  void gather(MemorySegment page, MemorySegment chunk, int chunkLayer) {
    copy(page, chunk, chunkLayer, true);
  }

  /** Copies layer {@code chunkLayer} of {@code chunk} into the plan's rows of {@code page}. */
  void scatter(MemorySegment chunk, int chunkLayer, MemorySegment page) {
    copy(page, chunk, chunkLayer, false);
  }

  private void copy(MemorySegment page, MemorySegment chunk, int chunkLayer, boolean toChunk) {
    long chunkBase = (long) chunkLayer * planes * chunkPlaneBytes;
    for (int p = 0; p < planes; p++) {
      long pageBase = p * pagePlaneStride;
      long base = chunkBase + p * chunkPlaneBytes;
      for (int i = 0; i < runs; i++) {
        if (toChunk) {
          MemorySegment.copy(page, pageBase + pageOffset[i], chunk, base + chunkOffset[i], length[i]);
        } else {
          MemorySegment.copy(chunk, base + chunkOffset[i], page, pageBase + pageOffset[i], length[i]);
        }
      }
    }
  }
}
