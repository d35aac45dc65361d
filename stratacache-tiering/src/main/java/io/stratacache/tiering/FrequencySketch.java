package io.stratacache.tiering;

import io.stratacache.core.ArtifactId;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Approximate use counts of artifact ids, in fixed memory: a count-min sketch of 4-bit counters
 * (0 to 15) that halves every counter after a sample of uses, so that old popularity fades.
 *
 * <p>Design note. A table of {@code 2^k} longs holds sixteen 4-bit counters each. An id's hash
 * picks, for each of four rows, one long and one counter in it; the estimate is the smallest of
 * the four. An increment raises only the counters equal to that smallest (a conservative
 * update), so an estimate grows by at most one per use and never falls below the true count
 * until the next halving. Counters are updated by compare-and-set, so concurrent uses from many
 * threads are all counted and need no lock. After {@code 10 x longs} uses, every counter is
 * halved (racing increments during the halving may be lost; the counts are estimates).
 */
final class FrequencySketch {
  static final int MAX = 15;
  private static final long[] SEEDS = {0x9E3779B97F4A7C15L, 0xC2B2AE3D27D4EB4FL, 0x165667B19E3779F9L, 0xD6E8FEB86659FD93L};
  private static final long HALF_MASK = 0x7777_7777_7777_7777L;

  private final AtomicLongArray table;
  private final int mask;
  private final long sampleSize;
  private final AtomicLong uses = new AtomicLong();

  /** A sketch of at least {@code longs} longs (rounded up to a power of two, at least 64). */
  FrequencySketch(int longs) {
    if (longs < 1) {
      throw new IllegalArgumentException("longs: " + longs + " (expected: >= 1)");
    }
    int n = Math.max(64, Integer.highestOneBit(Math.min(longs, 1 << 26) - 1) << 1);
    this.table = new AtomicLongArray(n);
    this.mask = n - 1;
    this.sampleSize = 10L * n;
  }

  /** The estimated uses of {@code id}, 0 to {@value #MAX}. */
  int frequency(ArtifactId id) {
    long h = spread(id.hashCode());
    int min = MAX;
    for (int row = 0; row < 4; row++) {
      long r = mix(h ^ SEEDS[row]);
      min = Math.min(min, counter(table.get(slot(r)), shift(r)));
    }
    return min;
  }

  /** Counts one use of {@code id}; returns its new estimate. */
  int increment(ArtifactId id) {
    long h = spread(id.hashCode());
    int[] slots = new int[4];
    int[] shifts = new int[4];
    int min = MAX;
    for (int row = 0; row < 4; row++) {
      long r = mix(h ^ SEEDS[row]);
      slots[row] = slot(r);
      shifts[row] = shift(r);
      min = Math.min(min, counter(table.get(slots[row]), shifts[row]));
    }
    if (min == MAX) {
      return MAX;
    }
    for (int row = 0; row < 4; row++) {
      while (true) {
        long v = table.get(slots[row]);
        if (counter(v, shifts[row]) != min || table.compareAndSet(slots[row], v, v + (1L << shifts[row]))) {
          break;
        }
      }
    }
    if (uses.incrementAndGet() % sampleSize == 0) {
      halve();
    }
    return min + 1;
  }

  private void halve() {
    for (int i = 0; i < table.length(); i++) {
      while (true) {
        long v = table.get(i);
        if (table.compareAndSet(i, v, (v >>> 1) & HALF_MASK)) {
          break;
        }
      }
    }
  }

  private int slot(long r) {
    return (int) (r >>> 32) & mask;
  }

  private static int shift(long r) {
    return (int) (r & 15) << 2;
  }

  private static int counter(long v, int shift) {
    return (int) (v >>> shift) & 15;
  }

  private static long spread(int hash) {
    return mix(hash * 0x9E3779B97F4A7C15L);
  }

  /** A 64-bit finaliser (the murmur3 constants). */
  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
    z = (z ^ (z >>> 33)) * 0xC4CEB93FE53B3A5BL;
    return z ^ (z >>> 33);
  }
}
