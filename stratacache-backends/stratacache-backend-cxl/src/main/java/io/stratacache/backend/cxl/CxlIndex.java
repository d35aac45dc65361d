package io.stratacache.backend.cxl;

import java.util.Map;

/**
 * The region's hash index from id to slot, and its count of indexed (visible) artifacts.
 *
 * <p>Design: open addressing with linear probing over {@code buckets} 8-byte words (a power of
 * two, at least twice the slots), each {@code fragment << 32 | slot + 1} (0 = empty). Deletion
 * shifts later entries of the run back instead of leaving tombstones, so probes stay short however
 * many deletes there were. Readers take no lock: a sequence word in the header is odd while an
 * entry moves, and a reader that misses while the sequence changed under it probes again
 * (a seqlock). A hit needs no retry, because the slot is re-checked against the full 128-bit hash.
 * Changes happen under the region lock ({@code ...Locked} methods).
 */
final class CxlIndex {
  private static final int SPINS_BEFORE_WAITING = 10_000;

  private final CxlRegion region;
  private final CxlLayout.Geometry g;
  private final CxlSlotTable slots;
  private final Runnable waitForWriter;
  private final String where;

  /**
   * @param waitForWriter takes and releases the region lock, so that a reader that keeps seeing
   *     an odd sequence waits for the writer (or breaks a dead writer's lock and repairs)
   */
  CxlIndex(CxlRegion region, CxlLayout.Geometry g, CxlSlotTable slots, Runnable waitForWriter, String where) {
    this.region = region;
    this.g = g;
    this.slots = slots;
    this.waitForWriter = waitForWriter;
    this.where = where;
  }

  /** Artifacts visible in the region, counting every process. */
  long artifacts() {
    return region.getVolatile(CxlLayout.ARTIFACTS_OFFSET);
  }

  /** The visible slot holding {@code h}, or -1; lock-free, consistent with concurrent writers. */
  int lookup(CxlHash h) {
    for (int spins = 0; ; spins++) {
      long before = region.getVolatile(CxlLayout.INDEX_SEQ_OFFSET);
      if ((before & 1) != 0) {
        if (spins > SPINS_BEFORE_WAITING) {
          waitForWriter.run();
          spins = 0;
        }
        Thread.onSpinWait();
        continue;
      }
      int s = probe(h);
      if (s >= 0 || region.getVolatile(CxlLayout.INDEX_SEQ_OFFSET) == before) {
        return s;
      }
    }
  }

  /** {@link #lookup} for a caller holding the region lock. */
  int lookupLocked(CxlHash h) {
    return probe(h);
  }

  private int probe(CxlHash h) {
    long mask = g.buckets() - 1;
    long b = home(h.fragment());
    for (long i = 0; i <= mask; i++) {
      long v = region.getVolatile(g.bucket(b));
      if (v == 0) {
        return -1;
      }
      if ((int) (v >>> 32) == h.fragment()) {
        int s = (int) v - 1;
        if (s >= 0 && s < g.slotCount() && CxlLayout.isVisible(slots.state(s)) && slots.hash(s).equals(h)) {
          return s;
        }
      }
      b = (b + 1) & mask;
    }
    return -1;
  }

  /** Indexes slot {@code s} for {@code h} (not indexed yet) and counts one more artifact. */
  void insertLocked(CxlHash h, int s) {
    insertBucket(h, s);
    region.getAndAdd(CxlLayout.ARTIFACTS_OFFSET, 1);
  }

  /** Points {@code h}'s entry from slot {@code old} to slot {@code s}. */
  void replaceLocked(CxlHash h, int old, int s) {
    region.setVolatile(g.bucket(findBucket(h, old)), bucketValue(h, s));
  }

  /** Removes {@code h}'s entry for slot {@code s} and counts one artifact less. */
  void removeLocked(CxlHash h, int s) {
    long mask = g.buckets() - 1;
    long i = findBucket(h, s);
    long seq = region.getVolatile(CxlLayout.INDEX_SEQ_OFFSET);
    region.setVolatile(CxlLayout.INDEX_SEQ_OFFSET, seq + 1);
    long j = i;
    while (true) {
      j = (j + 1) & mask;
      long v = region.getVolatile(g.bucket(j));
      if (v == 0) {
        break;
      }
      long k = home((int) (v >>> 32));
      boolean inPlace = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (!inPlace) {
        region.setVolatile(g.bucket(i), v);
        i = j;
      }
    }
    region.setVolatile(g.bucket(i), 0);
    region.setVolatile(CxlLayout.INDEX_SEQ_OFFSET, seq + 2);
    region.getAndAdd(CxlLayout.ARTIFACTS_OFFSET, -1);
  }

  /** Rebuilds the index from scratch to hold exactly {@code visible}, and the artifact count. */
  void rebuildLocked(Map<CxlHash, Integer> visible) {
    long seq = region.getVolatile(CxlLayout.INDEX_SEQ_OFFSET);
    long odd = (seq | 1) == seq ? seq + 2 : seq + 1;
    region.setVolatile(CxlLayout.INDEX_SEQ_OFFSET, odd);
    region.segment().asSlice(g.indexOffset(), g.buckets() * 8).fill((byte) 0);
    visible.forEach(this::insertBucket);
    region.setVolatile(CxlLayout.INDEX_SEQ_OFFSET, odd + 1);
    region.setVolatile(CxlLayout.ARTIFACTS_OFFSET, visible.size());
  }

  private long home(int fragment) {
    return (fragment & 0xFFFF_FFFFL) & (g.buckets() - 1);
  }

  private static long bucketValue(CxlHash h, int s) {
    return (long) h.fragment() << 32 | ((s + 1) & 0xFFFF_FFFFL);
  }

  private void insertBucket(CxlHash h, int s) {
    long mask = g.buckets() - 1;
    long b = home(h.fragment());
    while (region.getVolatile(g.bucket(b)) != 0) {
      b = (b + 1) & mask;
    }
    region.setVolatile(g.bucket(b), bucketValue(h, s));
  }

  private long findBucket(CxlHash h, int s) {
    long mask = g.buckets() - 1;
    long b = home(h.fragment());
    long want = bucketValue(h, s);
    for (long i = 0; i <= mask; i++) {
      long v = region.getVolatile(g.bucket(b));
      if (v == want) {
        return b;
      }
      if (v == 0) {
        break;
      }
      b = (b + 1) & mask;
    }
    throw new IllegalStateException(where + ": slot " + s + " is visible but not in the index");
  }
}
