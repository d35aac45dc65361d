package io.stratacache.backend.cxl;

import io.stratacache.core.ArtifactId;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sliding expiry of a region's artifacts ({@code kv_expire_time}, {@code cleanup_interval}, with
 * the SSD tier's meaning): an artifact that has gone {@code kv_expire_time} without a store or load
 * by any process (its slot's stamp) and that no process leases or pins has expired. A call that
 * finds an expired artifact treats it as absent and removes it; the layer's maintenance thread
 * sweeps the region every {@code cleanup_interval}. The stamps live in the region, so a load by
 * any process keeps an artifact alive for all of them, and expiry carries over a restart.
 */
final class CxlExpiry {
  private final long expireMillis;
  private final CxlSlotTable slots;
  private final CxlIndex index;
  private final CxlAllocator allocator;
  private final CxlHolds holds;
  private final CxlGuard guard;
  private final CxlEviction eviction;
  private final LongAdder expired = new LongAdder();
  /** Lets go of this process's closed leases' holds (idle lease groups), which keep nothing alive. */
  private final Runnable releaseIdleHolds;

  /** @param expireMillis {@code kv_expire_time} in milliseconds; 0 = never */
  CxlExpiry(long expireMillis, CxlSlotTable slots, CxlIndex index, CxlAllocator allocator, CxlHolds holds,
      CxlGuard guard, CxlEviction eviction, Runnable releaseIdleHolds) {
    this.expireMillis = expireMillis;
    this.releaseIdleHolds = releaseIdleHolds;
    this.slots = slots;
    this.index = index;
    this.allocator = allocator;
    this.holds = holds;
    this.guard = guard;
    this.eviction = eviction;
  }

  boolean enabled() {
    return expireMillis > 0;
  }

  /** Artifacts this layer removed because they expired. */
  long expired() {
    return expired.sum();
  }

  /**
   * Whether visible slot {@code s} has expired: its time is up and no process leases or pins it (a
   * closed lease of this process that still holds it is let go first). Call with no lock held.
   */
  boolean isExpired(int s) {
    if (!timeIsUp(s)) {
      return false;
    }
    if (holds.heldAnywhere(s)) {
      releaseIdleHolds.run();
    }
    return !holds.heldAnywhere(s);
  }

  private boolean timeIsUp(int s) {
    return expireMillis > 0 && slots.now() - slots.stamp(s) >= expireMillis;
  }

  /**
   * Removes slot {@code s}, found expired at commit {@code seq} for {@code h}, if it still is that
   * commit and still expired; call with no lock held. Returns whether this call removed it.
   */
  boolean expire(int s, long seq, CxlHash h) {
    ArtifactId id = slots.idOf(s);
    boolean removed = guard.locked(() -> {
      if (CxlLayout.isVisible(slots.state(s)) && slots.seq(s) == seq && slots.hash(s).equals(h) && timeIsUp(s)
          && !holds.heldAnywhere(s) && index.lookupLocked(h) == s) {
        index.removeLocked(h, s);
        allocator.retireLocked(s);
        return true;
      }
      return false;
    });
    if (removed) {
      expired.increment();
      if (id != null) {
        eviction.forget(id);
      }
    }
    return removed;
  }

  /** Removes every expired artifact of the region; what the maintenance thread runs. */
  void sweep() {
    for (int s = 0; s < slots.count(); s++) {
      if (CxlLayout.isVisible(slots.state(s)) && isExpired(s)) {
        expire(s, slots.seq(s), slots.hash(s));
      }
    }
  }
}
