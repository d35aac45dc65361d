package io.stratacache.backend.cxl;

import io.stratacache.core.codec.RecordLayout;
import java.util.function.IntPredicate;

/**
 * Room in the region: free slots of the object table and runs of free blocks of the data area,
 * and the region's counters of both. Every method runs under the region lock.
 *
 * <p>Design: the data area is an array of {@code block_size} blocks with one bit each in the
 * region's block bitmap (bits past the last block are set, so a scan never runs off the end). A
 * record takes one contiguous run, so that a lease is one zero-copy segment; runs are found
 * next-fit from a rover kept in the header, scanning a word at a time where words are all free or
 * all used. Slots are found the same way from their own rover. A slot is freed in two steps:
 * {@linkplain #retireLocked retired} (invisible, blocks kept) while any process holds it, then
 * {@linkplain #freeLocked freed} when the last hold goes.
 */
final class CxlAllocator {
  private final CxlRegion region;
  private final CxlLayout.Geometry g;
  private final CxlSlotTable slots;
  private final CxlHolds holds;

  CxlAllocator(CxlRegion region, CxlLayout.Geometry g, CxlSlotTable slots, CxlHolds holds) {
    this.region = region;
    this.g = g;
    this.slots = slots;
    this.holds = holds;
  }

  int blockBytes() {
    return g.blockBytes();
  }

  /** Blocks that a record of {@code bytes} takes. */
  long blocksOf(long bytes) {
    return g.blocksOf(bytes);
  }

  long usedBlocks() {
    return region.getVolatile(CxlLayout.USED_BLOCKS_OFFSET);
  }

  long freeSlots() {
    return region.getVolatile(CxlLayout.FREE_SLOTS_OFFSET);
  }

  /**
   * Whether a free slot and {@code blocks} free blocks exist, read without the lock: a hint (the
   * free blocks may not be contiguous, and other processes change the counters).
   */
  boolean looksRoomy(long blocks) {
    return freeSlots() > 0 && g.dataBlocks() - usedBlocks() >= blocks;
  }

  long retiredSlots() {
    return region.getVolatile(CxlLayout.RETIRED_SLOTS_OFFSET);
  }

  /**
   * Claims a free slot and a run of {@code blocks} for a record of {@code recordLength} bytes,
   * WRITING for {@code owner}; reclaims unheld retired slots first if nothing is free. Returns the
   * slot, or -1 if there is no room without evicting.
   */
  int allocateLocked(long owner, CxlHash h, long blocks, long recordLength) {
    int s = findFreeSlot();
    long start = s >= 0 ? findRun(blocks) : -1;
    if ((s < 0 || start < 0) && retiredSlots() > 0 && reclaimRetiredLocked() > 0) {
      s = findFreeSlot();
      start = s >= 0 ? findRun(blocks) : -1;
    }
    if (s < 0 || start < 0) {
      return -1;
    }
    setBlocks(start, blocks, true);
    region.getAndAdd(CxlLayout.USED_BLOCKS_OFFSET, blocks);
    region.setLong(CxlLayout.BLOCK_ROVER_OFFSET, start + blocks);
    slots.claim(s, owner, h, start * g.blockBytes(), recordLength);
    region.getAndAdd(CxlLayout.FREE_SLOTS_OFFSET, -1);
    region.setLong(CxlLayout.SLOT_ROVER_OFFSET, s + 1);
    return s;
  }

  /** Makes slot {@code s} invisible, freeing it now if nobody holds it. */
  void retireLocked(int s) {
    slots.setState(s, CxlLayout.RETIRED);
    region.getAndAdd(CxlLayout.RETIRED_SLOTS_OFFSET, 1);
    if (!holds.heldAnywhere(s)) {
      freeLocked(s);
    }
  }

  /** Frees slot {@code s} and its blocks. */
  void freeLocked(int s) {
    if (slots.state(s) == CxlLayout.RETIRED) {
      region.getAndAdd(CxlLayout.RETIRED_SLOTS_OFFSET, -1);
    }
    long blocks = g.blocksOf(slots.recordLength(s));
    setBlocks(slots.recordOffset(s) / g.blockBytes(), blocks, false);
    region.getAndAdd(CxlLayout.USED_BLOCKS_OFFSET, -blocks);
    slots.setOwner(s, 0);
    slots.setState(s, CxlLayout.FREE);
    region.getAndAdd(CxlLayout.FREE_SLOTS_OFFSET, 1);
  }

  /** Frees slot {@code s} if it is retired and nobody holds it any more. */
  void freeIfRetiredAndUnheldLocked(int s) {
    if (slots.state(s) == CxlLayout.RETIRED && !holds.heldAnywhere(s)) {
      freeLocked(s);
    }
  }

  /** Frees retired slots that nobody holds; returns how many. */
  int reclaimRetiredLocked() {
    int n = 0;
    for (int s = 0; s < g.slotCount(); s++) {
      if (slots.state(s) == CxlLayout.RETIRED && !holds.heldAnywhere(s)) {
        freeLocked(s);
        n++;
      }
    }
    return n;
  }

  /**
   * Whether a run of {@code blocks} and a slot would be free if every visible slot that {@code
   * reclaimable} accepts were freed. Works on a scratch copy of the block bitmap, so that a store
   * that cannot fit evicts nothing.
   */
  boolean fitsAfterEvictingLocked(long blocks, IntPredicate reclaimable) {
    long words = g.bitmapWordCount();
    long[] bits = new long[(int) words];
    for (int w = 0; w < words; w++) {
      bits[w] = region.getLong(g.bitmapOffset() + w * 8L);
    }
    boolean slot = freeSlots() > 0;
    for (int s = 0; s < g.slotCount(); s++) {
      if (!CxlLayout.isVisible(slots.state(s)) || !reclaimable.test(s)) {
        continue;
      }
      slot = true;
      long first = slots.recordOffset(s) / g.blockBytes();
      long end = first + g.blocksOf(slots.recordLength(s));
      for (long b = first; b < end; b++) {
        bits[(int) (b >>> 6)] &= ~(1L << (b & 63));
      }
    }
    if (!slot) {
      return false;
    }
    long run = 0;
    for (long b = 0; b < g.dataBlocks(); ) {
      long word = bits[(int) (b >>> 6)];
      if ((b & 63) == 0 && (word == 0 || word == -1L)) {
        run = word == 0 ? run + 64 : 0;
        b += 64;
      } else {
        run = (word & (1L << (b & 63))) == 0 ? run + 1 : 0;
        b++;
      }
      if (run >= blocks) {
        return true;
      }
    }
    return false;
  }

  // Rebuilding from the slots (repair)

  /** Clears the block bitmap, then sets the bits past the last block. */
  void resetBitmapLocked() {
    region.segment().asSlice(g.bitmapOffset(), g.bitmapWordCount() * 8).fill((byte) 0);
    long tailBits = g.bitmapWordCount() * 64 - g.dataBlocks();
    if (tailBits > 0) {
      long lastWord = g.bitmapWord(g.dataBlocks() - 1);
      region.setLong(lastWord, region.getLong(lastWord) | (-1L << (64 - tailBits)));
    }
  }

  /** Sets the bits of slot {@code s}'s extent; false if it is impossible or overlaps another. */
  boolean markExtentLocked(int s) {
    long off = slots.recordOffset(s);
    long len = slots.recordLength(s);
    if (off < 0 || len < RecordLayout.PREFIX_BYTES || off % g.blockBytes() != 0 || off + len > g.dataBytes() || off + len < off) {
      return false;
    }
    long first = off / g.blockBytes();
    long n = g.blocksOf(len);
    for (long b = first; b < first + n; b++) {
      if ((region.getLong(g.bitmapWord(b)) & (1L << (b & 63))) != 0) {
        return false;
      }
    }
    setBlocks(first, n, true);
    return true;
  }

  /** Sets the region's counters after a rebuild. */
  void setCountersLocked(long usedBlocks, long freeSlots, long retiredSlots) {
    region.setVolatile(CxlLayout.USED_BLOCKS_OFFSET, usedBlocks);
    region.setVolatile(CxlLayout.FREE_SLOTS_OFFSET, freeSlots);
    region.setVolatile(CxlLayout.RETIRED_SLOTS_OFFSET, retiredSlots);
  }

  private int findFreeSlot() {
    if (freeSlots() <= 0) {
      return -1;
    }
    int n = g.slotCount();
    int start = (int) Math.floorMod(region.getLong(CxlLayout.SLOT_ROVER_OFFSET), (long) n);
    for (int i = 0; i < n; i++) {
      int s = start + i < n ? start + i : start + i - n;
      if (slots.state(s) == CxlLayout.FREE) {
        return s;
      }
    }
    return -1;
  }

  private void setBlocks(long first, long n, boolean used) {
    long b = first;
    long end = first + n;
    while (b < end) {
      int from = (int) (b & 63);
      int count = (int) Math.min(64 - from, end - b);
      long mask = (count == 64 ? -1L : ((1L << count) - 1)) << from;
      long word = g.bitmapWord(b);
      long v = region.getLong(word);
      region.setLong(word, used ? v | mask : v & ~mask);
      b += count;
    }
  }

  /** Next-fit from the rover (wrapping once) for {@code n} consecutive free blocks; or -1. */
  private long findRun(long n) {
    long total = g.dataBlocks();
    long rover = Math.floorMod(region.getLong(CxlLayout.BLOCK_ROVER_OFFSET), Math.max(total, 1));
    long found = findRun(n, rover, total);
    return found >= 0 ? found : findRun(n, 0, Math.min(total, rover + n - 1));
  }

  private long findRun(long n, long from, long to) {
    long run = 0;
    long start = from;
    long b = from;
    while (b < to) {
      long word = region.getLong(g.bitmapWord(b));
      if ((b & 63) == 0 && word == -1L) {
        run = 0;
        b += 64;
        continue;
      }
      if ((b & 63) == 0 && word == 0 && b + 64 <= to) {
        if (run == 0) {
          start = b;
        }
        run += 64;
        b += 64;
      } else {
        if ((word & (1L << (b & 63))) == 0) {
          if (run == 0) {
            start = b;
          }
          run++;
        } else {
          run = 0;
        }
        b++;
      }
      if (run >= n) {
        return start;
      }
    }
    return -1;
  }
}
