package io.stratacache.spi;

import java.util.Comparator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * Hands out aligned byte ranges of a slab: best fit over a free list with immediate coalescing.
 *
 * <p>Design note. Free space is kept as maximal free blocks in two indexes: by offset (to find a
 * freed block's neighbours) and by (size, offset) (to find the best fit). {@link #allocate} takes
 * the smallest free block that is large enough, the lowest-addressed among equals, and returns its
 * tail to the free list; {@link #free} merges the block with a free neighbour on either side
 * before indexing it. Both are O(log n) in the number of free blocks. Every size and offset is a
 * multiple of the alignment, so every block handed out is aligned and waste inside a block is
 * below one alignment unit.
 *
 * <p>Fragmentation. Because free blocks are merged on every free, no two free blocks are ever
 * adjacent: there are at most (allocated blocks + 1) free blocks, and external fragmentation is
 * only ever caused by live blocks. Best fit keeps large blocks whole for as long as smaller ones
 * serve (it is among the lowest-fragmentation non-moving policies measured, with address-ordered
 * first fit). When a request does not fit, the owning layer evicts blocks; evicting every block
 * in a run between two unmovable blocks leaves one free block as long as the run, so a request
 * always fits once enough adjacent blocks are evicted. The allocator never moves live blocks.
 *
 * <p>Shared by the layers that carve one allocation of their own (the CPU tier's slab, the GPU
 * tier's device allocation); its offsets are relative to that allocation.
 *
 * <p>Not thread-safe: the owning layer calls it under its lock.
 */
public final class SlabAllocator {
  private static final Comparator<Free> BY_SIZE =
      Comparator.comparingLong(Free::size).thenComparingLong(Free::offset);

  private record Free(long offset, long size) {}

  private final long size;
  private final long alignment;
  private final TreeMap<Long, Long> byOffset = new TreeMap<>();
  private final TreeSet<Free> bySize = new TreeSet<>(BY_SIZE);
  private long freeBytes;

  /**
   * An allocator over {@code [0, size)}.
   *
   * @param size a multiple of {@code alignment}
   * @param alignment a power of two
   */
  public SlabAllocator(long size, long alignment) {
    if (alignment <= 0 || Long.bitCount(alignment) != 1) {
      throw new IllegalArgumentException("alignment: " + alignment + " (expected: a power of two)");
    }
    if (size < 0 || size % alignment != 0) {
      throw new IllegalArgumentException("size: " + size + " (expected: a non-negative multiple of " + alignment + ")");
    }
    this.size = size;
    this.alignment = alignment;
    if (size > 0) {
      insert(0, size);
    }
    this.freeBytes = size;
  }

  /**
   * The longest run of adjacent free or reclaimable space among {@code blocks} (every block
   * allocated now, by offset), scanning by offset and stopping as soon as one of {@code need} bytes
   * is found: whether evicting the reclaimable blocks could make room for one of {@code need}
   * bytes, as a layer's {@link RoomMaker.Space#fitsAfterEvicting} asks.
   *
   * @param blocks every allocated block by offset
   * @param blockSize the size of a block
   * @param reclaimable whether a block could be evicted
   * @param need the bytes wanted in one run
   * @param <E> the layer's entry type
   */
  public <E> long reclaimableRun(
      SortedMap<Long, E> blocks, ToLongFunction<E> blockSize, Predicate<E> reclaimable, long need) {
    long longest = 0;
    long run = 0;
    long end = 0;
    for (Map.Entry<Long, E> b : blocks.entrySet()) {
      long bytes = blockSize.applyAsLong(b.getValue());
      run += b.getKey() - end;
      end = b.getKey() + bytes;
      if (reclaimable.test(b.getValue())) {
        run += bytes;
      } else {
        longest = Math.max(longest, run);
        run = 0;
      }
      if (run >= need) {
        return run;
      }
    }
    run += size - end;
    return Math.max(longest, run);
  }

  /** Bytes managed. */
  public long size() {
    return size;
  }

  /** The block size that holds {@code bytes}: rounded up to the alignment, at least one unit. */
  public long blockSize(long bytes) {
    if (bytes <= alignment) {
      return alignment;
    }
    return (bytes + alignment - 1) & -alignment;
  }

  /**
   * Takes a block of {@code blockSize} bytes (a value from {@link #blockSize}).
   *
   * @return its offset, or -1 if no free block is large enough
   */
  public long allocate(long blockSize) {
    Free fit = bySize.ceiling(new Free(Long.MIN_VALUE, blockSize));
    if (fit == null) {
      return -1;
    }
    remove(fit);
    if (fit.size > blockSize) {
      insert(fit.offset + blockSize, fit.size - blockSize);
    }
    freeBytes -= blockSize;
    return fit.offset;
  }

  /**
   * Gives back a block taken with {@link #allocate}.
   *
   * @throws IllegalStateException if the block overlaps free space (a double free)
   */
  public void free(long offset, long blockSize) {
    long start = offset;
    long end = offset + blockSize;
    if (offset < 0 || end > size || blockSize <= 0) {
      throw new IllegalStateException("free of [" + offset + ", " + end + ") (expected: within [0, " + size + "))");
    }
    Map.Entry<Long, Long> before = byOffset.floorEntry(offset);
    if (before != null) {
      long beforeEnd = before.getKey() + before.getValue();
      if (beforeEnd > offset) {
        throw new IllegalStateException("free of [" + offset + ", " + end + ") overlaps free block ["
            + before.getKey() + ", " + beforeEnd + ") (expected: a block that is allocated)");
      }
      if (beforeEnd == offset) {
        start = before.getKey();
        remove(new Free(before.getKey(), before.getValue()));
      }
    }
    Map.Entry<Long, Long> after = byOffset.ceilingEntry(offset);
    if (after != null && after.getKey() < end) {
      throw new IllegalStateException("free of [" + offset + ", " + end + ") overlaps free block at "
          + after.getKey() + " (expected: a block that is allocated)");
    }
    if (after != null && after.getKey() == end) {
      end += after.getValue();
      remove(new Free(after.getKey(), after.getValue()));
    }
    insert(start, end - start);
    freeBytes += blockSize;
  }

  /** Bytes not allocated. */
  public long freeBytes() {
    return freeBytes;
  }

  /** The largest free block, in bytes (0 if none). */
  public long largestFree() {
    return bySize.isEmpty() ? 0 : bySize.last().size;
  }

  /** Number of free blocks. */
  public int freeBlocks() {
    return byOffset.size();
  }

  private void insert(long offset, long length) {
    byOffset.put(offset, length);
    bySize.add(new Free(offset, length));
  }

  private void remove(Free f) {
    byOffset.remove(f.offset);
    bySize.remove(f);
  }
}
