package io.stratacache.backend.cxl;

import static io.stratacache.backend.cxl.CxlLayout.COMMITTED;
import static io.stratacache.backend.cxl.CxlLayout.EVICTING;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CapacityException;
import io.stratacache.core.CodecException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.EvictionPolicy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Making room for a store: the eviction order of the artifacts this process knows, and the loop
 * that claims a slot and a run of blocks, evicting until they fit.
 *
 * <p>Design: a store that finds no room first checks, on a scratch copy of the bitmap, that
 * evicting every unheld committed artifact would make room, so that a store that cannot fit evicts
 * nothing and fails with {@link CapacityException}. Then it evicts in the order of the eviction
 * policy (over the ids this process stored or loaded), then, for artifacts only other processes
 * know, oldest stamp first. A victim is marked {@code EVICTING} and held under the region lock;
 * the listener is called with no lock held while the victim stays loadable; the victim is freed
 * only if the listener agreed and no process holds it, otherwise it is passed over. As a last
 * resort a store takes the place of the older version of its own id, which loads then miss until
 * the new version commits.
 */
final class CxlEviction {
  private static final System.Logger LOG = System.getLogger(CxlEviction.class.getName());

  private final String tier;
  private final String where;
  private final CxlSlotTable slots;
  private final CxlIndex index;
  private final CxlAllocator allocator;
  private final CxlHolds holds;
  private final CxlGuard guard;
  private final CxlCounters counters;
  private final long dataBytes;
  private final int slotCount;

  /** Guarded by {@link #policyLock}: ids this process stored or loaded, in eviction order. */
  private final EvictionPolicy policy;
  private final Map<ArtifactId, CxlHash> known = new HashMap<>();
  private final ReentrantLock policyLock = new ReentrantLock();
  private volatile EvictionListener listener = EvictionListener.DROP;

  private record Victim(int slot, long seq, ArtifactId id, CxlHash hash) {}

  CxlEviction(String tier, String where, CxlLayout.Geometry g, CxlSlotTable slots, CxlIndex index, CxlAllocator allocator,
      CxlHolds holds, CxlGuard guard, CxlCounters counters, EvictionPolicy policy) {
    this.tier = tier;
    this.where = where;
    this.slots = slots;
    this.index = index;
    this.allocator = allocator;
    this.holds = holds;
    this.guard = guard;
    this.counters = counters;
    this.policy = policy;
    this.dataBytes = g.dataBytes();
    this.slotCount = g.slotCount();
  }

  void setListener(EvictionListener listener) {
    this.listener = listener;
  }

  /** Reads every committed record's id into the eviction policy, oldest stamp first; returns how many. */
  int learnStoredIds() {
    List<Integer> visible = new ArrayList<>();
    for (int s = 0; s < slots.count(); s++) {
      if (CxlLayout.isVisible(slots.state(s))) {
        visible.add(s);
      }
    }
    visible.sort(Comparator.comparingLong(slots::stamp));
    policyLock.lock();
    try {
      for (int s : visible) {
        ArtifactId id = slots.idOf(s);
        if (id != null) {
          policy.onInsert(id, slots.recordLength(s));
          known.put(id, slots.hash(s));
        }
      }
    } finally {
      policyLock.unlock();
    }
    return visible.size();
  }

  /** This process stored {@code id} in a record of {@code bytes}. */
  void stored(ArtifactId id, CxlHash h, long bytes) {
    policyLock.lock();
    try {
      policy.onInsert(id, bytes);
      known.put(id, h);
    } finally {
      policyLock.unlock();
    }
  }

  /** This process loaded {@code id}. */
  void loaded(ArtifactId id, CxlHash h) {
    policyLock.lock();
    try {
      if (known.putIfAbsent(id, h) == null) {
        policy.onInsert(id, 0);
      } else {
        policy.onAccess(id);
      }
    } finally {
      policyLock.unlock();
    }
  }

  /** {@code id} left the region. */
  void forget(ArtifactId id) {
    policyLock.lock();
    try {
      if (known.remove(id) != null) {
        policy.onRemove(id);
      }
    } finally {
      policyLock.unlock();
    }
  }

  /**
   * Claims a slot and a run of blocks for a record of {@code recordLength} bytes of {@code id},
   * WRITING for this process, evicting as the class comment says.
   *
   * @throws CapacityException if no room can be made; nothing was evicted if evicting every
   *     unheld artifact would not have been enough
   */
  int claim(ArtifactId id, CxlHash h, long recordLength) {
    long blocks = allocator.blocksOf(recordLength);
    Set<Integer> passedOver = new HashSet<>();
    boolean[] checked = {false};
    while (true) {
      Victim v = guard.locked(() -> {
        int s = allocator.allocateLocked(holds.me(), h, blocks, recordLength);
        if (s >= 0) {
          return new Victim(s, -1, null, null);
        }
        if (!checked[0]) {
          checked[0] = true;
          if (!allocator.fitsAfterEvictingLocked(blocks)) {
            counters.rejected.increment();
            throw new CapacityException(
                where + ": no room for " + id + " (" + recordLength + " bytes of record): even with every artifact"
                    + " that no process holds evicted, no run of " + blocks + " free blocks or no free slot would exist"
                    + " (expected: room after evicting unheld artifacts; nothing was evicted)");
          }
        }
        Victim victim = pickVictimLocked(h, passedOver);
        if (victim != null) {
          return victim;
        }
        int own = index.lookupLocked(h);
        if (own >= 0 && slots.state(own) == COMMITTED && !holds.heldAnywhere(own)) {
          index.removeLocked(h, own);
          allocator.retireLocked(own);
          return new Victim(-1, -1, null, null);
        }
        counters.rejected.increment();
        throw new CapacityException(
            where + ": no room for " + id + " (" + recordLength + " bytes of record): "
                + allocator.usedBlocks() * allocator.blockBytes() + " of " + dataBytes + " bytes and "
                + (slotCount - allocator.freeSlots()) + " of " + slotCount + " slots in use, and every other artifact"
                + " is held (leased or pinned) by some process, being stored or evicted, or kept by the eviction"
                + " listener (expected: room after evicting unheld artifacts)");
      });
      if (v.id == null) {
        if (v.slot >= 0) {
          return v.slot;
        }
        continue;
      }
      if (!evict(v)) {
        passedOver.add(v.slot);
      }
    }
  }

  private Victim pickVictimLocked(CxlHash exclude, Set<Integer> passedOver) {
    List<ArtifactId> stale = new ArrayList<>();
    Victim found = null;
    policyLock.lock();
    try {
      for (Iterator<ArtifactId> it = policy.victims(); it.hasNext() && found == null; ) {
        ArtifactId id = it.next();
        CxlHash h = known.get(id);
        int s = h == null ? -1 : index.lookupLocked(h);
        if (s < 0) {
          stale.add(id);
        } else if (!h.equals(exclude) && !holds.isPinned(id) && isEvictable(s, passedOver)) {
          found = new Victim(s, slots.seq(s), id, h);
        }
      }
      for (ArtifactId id : stale) {
        policy.onRemove(id);
        known.remove(id);
      }
    } finally {
      policyLock.unlock();
    }
    if (found == null) {
      found = oldestUnknownLocked(exclude, passedOver);
    }
    if (found != null) {
      slots.setOwner(found.slot, holds.me());
      slots.setState(found.slot, EVICTING);
      holds.hold(found.slot);
    }
    return found;
  }

  private boolean isEvictable(int s, Set<Integer> passedOver) {
    return slots.state(s) == COMMITTED && !passedOver.contains(s) && !holds.heldAnywhere(s);
  }

  /** The committed slot with the oldest stamp that the policy does not know (stored elsewhere). */
  private Victim oldestUnknownLocked(CxlHash exclude, Set<Integer> passedOver) {
    int best = -1;
    long bestStamp = Long.MAX_VALUE;
    for (int s = 0; s < slots.count(); s++) {
      if (isEvictable(s, passedOver) && !slots.hash(s).equals(exclude)) {
        long stamp = slots.stamp(s);
        if (stamp < bestStamp) {
          best = s;
          bestStamp = stamp;
        }
      }
    }
    if (best < 0) {
      return null;
    }
    ArtifactId id = slots.idOf(best);
    if (id == null) {
      counters.corrupt.increment();
      index.removeLocked(slots.hash(best), best);
      allocator.retireLocked(best);
      return oldestUnknownLocked(exclude, passedOver);
    }
    return new Victim(best, slots.seq(best), id, slots.hash(best));
  }

  /**
   * Offers the marked, held victim to the listener; returns whether its slot was freed. A listener
   * that throws keeps the victim, and its exception propagates.
   */
  private boolean evict(Victim v) {
    RecordCodec.Record rec;
    try {
      rec = slots.check(v.slot, v.id, -1);
    } catch (CodecException e) {
      counters.corrupt.increment();
      LOG.log(System.Logger.Level.WARNING, where + ": dropped corrupt eviction victim " + v.id + ": " + e.getMessage());
      return finishEviction(v, true);
    }
    boolean agreed;
    try {
      agreed = listener.beforeEvict(tier, v.id, rec.header().meta(), rec.payload().asReadOnly());
    } catch (RuntimeException | Error e) {
      finishEviction(v, false);
      throw e;
    }
    boolean freed = finishEviction(v, agreed);
    if (freed && agreed) {
      counters.evictions.increment();
      forget(v.id);
    }
    return freed;
  }

  private boolean finishEviction(Victim v, boolean go) {
    return guard.locked(() -> {
      holds.unhold(v.slot);
      if (slots.state(v.slot) != EVICTING || slots.seq(v.slot) != v.seq || slots.owner(v.slot) != holds.me()) {
        return true;
      }
      if (!go || holds.heldAnywhere(v.slot)) {
        slots.publishState(v.slot, COMMITTED);
        return false;
      }
      index.removeLocked(v.hash, v.slot);
      allocator.retireLocked(v.slot);
      return true;
    });
  }
}
