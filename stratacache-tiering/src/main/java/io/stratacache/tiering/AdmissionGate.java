package io.stratacache.tiering;

import io.stratacache.core.ArtifactId;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Frequency-gated admission to the tiers below: a link with {@code admit_after: n} (n > 1)
 * writes an artifact into the tier below it only from the artifact's n-th use on, as counted by
 * a {@link FrequencySketch} over the engine's stores and load hits. Links with n = 1 (the
 * default) admit everything and cost nothing.
 *
 * <p>The chain consults the gate at three places: a store's write down a link (skipped while
 * the artifact is not admitted, unless the tier below already holds a version of it, which is
 * then always replaced, so no stale version stays below); a load whose use reaches n (the
 * artifact is marked dirty on the link, and the background worker writes it down); and the
 * eviction of an artifact that is not admitted and that no lower tier holds, which is dropped
 * instead of demoted.
 */
final class AdmissionGate {
  /** The largest {@code admit_after} a link may have (a sketch counter's range). */
  static final int MAX_ADMIT_AFTER = FrequencySketch.MAX;

  private final int[] admitAfter;
  private final FrequencySketch sketch;
  private final AtomicLong deferred = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();

  /** A gate with {@code admitAfter.get(j)} for the link below tier j. */
  AdmissionGate(List<Integer> admitAfter) {
    this.admitAfter = new int[admitAfter.size()];
    boolean any = false;
    for (int j = 0; j < this.admitAfter.length; j++) {
      int n = admitAfter.get(j);
      if (n < 1 || n > MAX_ADMIT_AFTER) {
        throw new IllegalArgumentException("admitAfter[" + j + "]: " + n + " (expected: 1 to " + MAX_ADMIT_AFTER + ")");
      }
      this.admitAfter[j] = n;
      any |= n > 1;
    }
    this.sketch = any ? new FrequencySketch(1 << 16) : null;
  }

  /** Whether some link is gated. */
  boolean active() {
    return sketch != null;
  }

  /** Counts one use (a store or a load hit) of {@code id}; returns its new estimate, or 0 if no link is gated. */
  int use(ArtifactId id) {
    return sketch == null ? 0 : sketch.increment(id);
  }

  /** Whether link {@code link} writes {@code id} down now. */
  boolean admits(int link, ArtifactId id) {
    int n = admitAfter[link];
    return n <= 1 || sketch.frequency(id) >= n;
  }

  /** Whether the use that brought {@code id}'s estimate to {@code estimate} is the one that admits it to link {@code link}. */
  boolean admittedBy(int link, int estimate) {
    return admitAfter[link] > 1 && estimate == admitAfter[link];
  }

  /** Links, for iteration. */
  int links() {
    return admitAfter.length;
  }

  void countDeferred() {
    deferred.incrementAndGet();
  }

  void countDropped() {
    dropped.incrementAndGet();
  }

  /** Writes down a link skipped because the artifact was not yet admitted. */
  long deferred() {
    return deferred.get();
  }

  /** Evicted artifacts dropped instead of demoted because they were not yet admitted. */
  long dropped() {
    return dropped.get();
  }
}
