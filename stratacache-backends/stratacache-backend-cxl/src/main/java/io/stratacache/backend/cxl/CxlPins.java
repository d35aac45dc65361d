package io.stratacache.backend.cxl;

import io.stratacache.core.ArtifactId;
import java.util.List;

/**
 * This process's pins on a region's artifacts. A pin is a named hold ({@link CxlHolds}): no
 * process evicts or reuses the pinned version while it lasts. A store of the same id by this
 * process moves the pin to the new version; a store by another process leaves it on the old
 * version, which stays in the region, invisible, until unpinned. Pins are counted per id and
 * guarded by the layer's process mutex.
 */
final class CxlPins {
  private final CxlGuard guard;
  private final CxlIndex index;
  private final CxlSlotTable slots;
  private final CxlHolds holds;
  private final CxlAllocator allocator;

  CxlPins(CxlGuard guard, CxlIndex index, CxlSlotTable slots, CxlHolds holds, CxlAllocator allocator) {
    this.guard = guard;
    this.index = index;
    this.slots = slots;
    this.holds = holds;
    this.allocator = allocator;
  }

  /** Pins {@code id}'s current version; false if the region does not hold it. */
  boolean pin(ArtifactId id) {
    return guard.inProcess(() -> {
      if (holds.repin(id)) {
        return true;
      }
      CxlHash h = CxlHash.of(id);
      while (true) {
        int s = index.lookup(h);
        if (s < 0) {
          return false;
        }
        long seq = slots.seq(s);
        holds.hold(s);
        if (slots.isStill(s, seq, h)) {
          holds.addPin(id, s);
          return true;
        }
        holds.unhold(s);
      }
    });
  }

  /** Takes one pin off {@code id}; false if it was not pinned. Frees a retired version it let go. */
  boolean unpin(ArtifactId id) {
    int released = guard.inProcess(() -> holds.unpinOnce(id));
    if (released == -2) {
      return false;
    }
    freeIfRetired(released);
    return true;
  }

  /** Drops every pin of this process (the layer closes), freeing retired versions they held. */
  void dropAll() {
    List<Integer> unpinned = guard.inProcess(holds::dropAllPins);
    for (int s : unpinned) {
      freeIfRetired(s);
    }
  }

  private void freeIfRetired(int s) {
    if (s >= 0 && slots.state(s) == CxlLayout.RETIRED) {
      guard.run(() -> allocator.freeIfRetiredAndUnheldLocked(s));
    }
  }
}
