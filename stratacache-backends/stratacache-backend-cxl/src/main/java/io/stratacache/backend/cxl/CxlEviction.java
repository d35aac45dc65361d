package io.stratacache.backend.cxl;

import static io.stratacache.backend.cxl.CxlLayout.COMMITTED;
import static io.stratacache.backend.cxl.CxlLayout.EVICTING;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CapacityException;
import io.stratacache.core.CodecException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.EvictionPolicy;
import io.stratacache.spi.RoomMaker;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * Making room for a store: the region as the shared {@link RoomMaker} protocol sees it, and the
 * eviction order of the artifacts this process knows.
 *
 * <p>Design: an entry of the protocol is one version of an artifact, a slot at a commit
 * sequence; {@link #entry} keeps one object per version so that the protocol may compare them by
 * identity. Candidates come in the order of the eviction policy over the ids this process stored
 * or loaded, then, for artifacts only other processes know, oldest stamp first. A slot is
 * <em>leased</em> if any process holds it (a lease or a pin, see {@link CxlHolds}), not counting
 * the hold this process takes while it evicts the slot. A victim is marked {@code EVICTING} and
 * held, so that no other process frees its bytes while the listener reads them; it is removed
 * (retired, then freed once no process holds it) only if the listener agreed and no process
 * leased, pinned, replaced or deleted it meanwhile. The replaced version follows the protocol's
 * rule: never offered to the listener, removed only as the last resort. The protocol's lock is
 * the {@link CxlGuard}.
 *
 * <p><b>The heap index.</b> The id-to-slot index lives in the region ({@link CxlIndex}); the heap
 * holds only what this process needs to order evictions. Per artifact this process stored or
 * loaded (64-bit JVM, compressed references; the id object and its text not counted):
 *
 * <pre>
 *  policy (LinkedHashMap entry: hash, key, value, next, before, after)  40 B + ~6 B of table
 *  known  (HashSet entry: hash, key, value, next)                        32 B + ~6 B of table
 *  per slot, used or not: CxlSlotTable verified commit (long)             8 B
 *                         CxlHolds lease count (int)                      4 B
 *                         entries[] (reference)                           4 B
 *  an Entry (slot, commit, id, hash: 32 B + CxlHash 24 B), only for versions an eviction examined
 * </pre>
 *
 * <p>So about 100 bytes per artifact, 156 with an Entry; the slot table is sized from {@code
 * expected_artifact_size}, so the per-slot arrays add a few bytes per artifact in a full region.
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
  private final RoomMaker<Entry> room;
  /** What to change when the slot table, not the bytes, runs out. */
  private final String slotAdvice;
  /** Whether this process has warned that stores evict for slots while bytes are free. */
  private final AtomicBoolean slotsWarned = new AtomicBoolean();
  /** Retires this process's idle lease groups, whose closed leases may hold slots being freed. */
  private final Runnable releaseIdleHolds;

  /** Guarded by the guard's order lock: ids this process stored or loaded, in eviction order. */
  private final EvictionPolicy policy;
  /**
   * The ids in {@link #policy}: a set, not a map to their hashes, to keep the heap per artifact
   * small (a hash is recomputed, about a microsecond, for the candidates an eviction examines).
   */
  private final Set<ArtifactId> known = new HashSet<>();
  private final ReentrantLock orderLock;
  /** Guarded by the guard: ids found gone while iterating the policy, to drop from it. */
  private final List<ArtifactId> stale = new ArrayList<>();
  /** Guarded by the guard: per slot, the entry of its current version that the protocol has seen. */
  private final Entry[] entries;

  /** One version of an artifact: slot {@code slot} at commit {@code seq}; compared by identity. */
  record Entry(int slot, long seq, ArtifactId id, CxlHash hash) {}

  private volatile boolean closed;
  /** Refusals that a later try of the same store made good, or repeated (see {@link #claimWaitingForReleases}). */
  private final LongAdder retried = new LongAdder();

  CxlEviction(String tier, String where, CxlLayout.Geometry g, CxlSlotTable slots, CxlIndex index, CxlAllocator allocator,
      CxlHolds holds, CxlGuard guard, CxlCounters counters, EvictionPolicy policy, Runnable releaseIdleHolds,
      String slotAdvice) {
    this.releaseIdleHolds = releaseIdleHolds;
    this.slotAdvice = slotAdvice;
    this.tier = tier;
    this.where = where;
    this.slots = slots;
    this.index = index;
    this.allocator = allocator;
    this.holds = holds;
    this.guard = guard;
    this.counters = counters;
    this.policy = policy;
    this.orderLock = guard.orderLock();
    this.dataBytes = g.dataBytes();
    this.entries = new Entry[g.slotCount()];
    this.room = new RoomMaker<>(guard, new RegionIndex());
  }

  void setListener(EvictionListener listener) {
    room.setListener(listener);
  }

  /** Artifacts evicted to make room (victims the listener let go). */
  long evictions() {
    return room.evictions();
  }

  /** Counts a refused store and returns {@code error} for the caller to throw. */
  CapacityException refuse(CapacityException error) {
    return room.refuse(error);
  }

  /** Stores refused for lack of room (a first refusal that was retried is not counted). */
  long rejected() {
    return room.rejected() - retried.sum();
  }

  /**
   * Claims as {@link #claim} does; if that finds no room, lets this process's idle lease groups go
   * and, for up to {@code waitNanos}, tries again whenever some process lets go of a slot or of
   * room (a closed lease's group retires a few milliseconds after it goes idle: see {@link
   * CxlLeaseGroups}). Counts one refusal at most.
   */
  int claimWaitingForReleases(ArtifactId id, CxlHash h, long recordLength, long waitNanos) {
    try {
      return claim(id, h, recordLength);
    } catch (CapacityException first) {
      if (closed || holds.heldBits() == 0) {
        throw first;
      }
      releaseIdleHolds.run();
      long deadline = System.nanoTime() + waitNanos;
      CapacityException last = first;
      long failed = 1;
      while (true) {
        long held = holds.heldBits();
        long retired = allocator.retiredSlots();
        long used = allocator.usedBlocks();
        while (holds.heldBits() >= held && allocator.retiredSlots() >= retired && allocator.usedBlocks() >= used) {
          if (System.nanoTime() > deadline) {
            retried.add(failed - 1); // count this store's refusal once
            throw last;
          }
          LockSupport.parkNanos(100_000);
        }
        try {
          int slot = claim(id, h, recordLength);
          retried.add(failed); // refusals that a later try made good
          return slot;
        } catch (CapacityException again) {
          last = again;
          failed++;
        }
      }
    }
  }

  /** Wakes stores waiting for another call's eviction, so that they see the layer closed. */
  void close() {
    closed = true;
    room.close();
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
    orderLock.lock();
    try {
      for (int s : visible) {
        ArtifactId id = slots.idOf(s);
        if (id != null) {
          policy.onInsert(id, slots.recordLength(s));
          known.add(id);
        }
      }
    } finally {
      orderLock.unlock();
    }
    return visible.size();
  }

  /** This process stored {@code id} in a record of {@code bytes}. */
  void stored(ArtifactId id, CxlHash h, long bytes) {
    orderLock.lock();
    try {
      policy.onInsert(id, bytes);
      known.add(id);
    } finally {
      orderLock.unlock();
    }
  }

  /** This process loaded {@code id}. */
  void loaded(ArtifactId id, CxlHash h) {
    orderLock.lock();
    try {
      if (known.add(id)) {
        policy.onInsert(id, 0);
      } else {
        policy.onAccess(id);
      }
    } finally {
      orderLock.unlock();
    }
  }

  /** {@code id} left the region. */
  void forget(ArtifactId id) {
    orderLock.lock();
    try {
      if (known.remove(id)) {
        policy.onRemove(id);
      }
    } finally {
      orderLock.unlock();
    }
  }

  /**
   * Claims a slot and a run of blocks for a record of {@code recordLength} bytes of {@code id},
   * WRITING for this process, making room through the protocol.
   *
   * @throws CapacityException if no room can be made; nothing was evicted if evicting every
   *     unheld artifact would not have been enough
   */
  int claim(ArtifactId id, CxlHash h, long recordLength) {
    Run run = new Run(id, h, recordLength);
    room.makeRoom(id, run);
    return run.slot;
  }

  /** The entry of slot {@code s}'s current version; guard held, slot visible. */
  private Entry entry(int s) {
    long seq = slots.seq(s);
    Entry e = entries[s];
    if (e != null && e.seq == seq) {
      return e;
    }
    ArtifactId id = slots.idOf(s);
    if (id == null) {
      return null;
    }
    e = new Entry(s, seq, id, slots.hash(s));
    entries[s] = e;
    return e;
  }

  /** Drops a visible slot whose record header does not decode; guard held. */
  private void dropUnreadable(int s) {
    counters.corrupt.increment();
    LOG.log(System.Logger.Level.WARNING, where + ": dropped a record whose header does not decode in slot " + s);
    index.removeLocked(slots.hash(s), s);
    allocator.retireLocked(s);
  }

  /** The slot and run of blocks one store needs; see {@link RoomMaker.Space}. */
  private final class Run implements RoomMaker.Space<Entry> {
    private final ArtifactId id;
    private final CxlHash hash;
    private final long recordLength;
    private final long blocks;
    int slot = -1;

    Run(ArtifactId id, CxlHash hash, long recordLength) {
      this.id = id;
      this.hash = hash;
      this.recordLength = recordLength;
      this.blocks = allocator.blocksOf(recordLength);
    }

    @Override
    public boolean tryTake() {
      if (closed) {
        throw new LayerUnavailableException(where + " is closed");
      }
      slot = allocator.allocateLocked(holds.me(), hash, blocks, recordLength);
      if (slot < 0 && slotsRanOut() && slotsWarned.compareAndSet(false, true)) {
        LOG.log(System.Logger.Level.WARNING, where + ": all " + slots.count() + " slots are in use while "
            + freeBytes() + " of " + dataBytes + " bytes are free, so stores evict to free slots, not bytes; "
            + slotAdvice);
      }
      return slot >= 0;
    }

    /** Whether the slot table, not the bytes, keeps this record out. */
    private boolean slotsRanOut() {
      return allocator.freeSlots() <= 0 && freeBytes() >= blocks * allocator.blockBytes();
    }

    private long freeBytes() {
      return dataBytes - allocator.usedBlocks() * allocator.blockBytes();
    }

    @Override
    public boolean fitsAfterEvicting(Predicate<Entry> reclaimable) {
      return allocator.fitsAfterEvictingLocked(blocks, s -> {
        Entry e = entry(s);
        return e != null && reclaimable.test(e);
      });
    }

    @Override
    public CapacityException noRoom(int kept, boolean evictedNothing) {
      if (slotsRanOut()) {
        return new CapacityException(
            where + ": no room for " + id + ": all " + slots.count() + " slots are in use (the slot table ran"
                + " out, not the bytes: " + freeBytes() + " of " + dataBytes + " bytes are free) and no artifact"
                + " that no process holds can be evicted to free one"
                + (kept == 0 ? "" : " (" + kept + " kept by the eviction listener)") + " (expected: a free slot; "
                + slotAdvice + ")");
      }
      if (evictedNothing) {
        return new CapacityException(
            where + ": no room for " + id + " (" + recordLength + " bytes of record): even with every artifact"
                + " that no process holds evicted, no run of " + blocks + " free blocks or no free slot would exist"
                + (kept == 0 ? "" : " (" + kept + " kept by the eviction listener)")
                + " (expected: room after evicting unheld artifacts; nothing was evicted)");
      }
      return new CapacityException(
          where + ": no room for " + id + " (" + recordLength + " bytes of record): "
              + allocator.usedBlocks() * allocator.blockBytes() + " of " + dataBytes + " bytes and "
              + (slots.count() - allocator.freeSlots()) + " of " + slots.count() + " slots in use, and every other"
              + " artifact is held (leased or pinned) by some process, being stored or evicted, or kept by the"
              + " eviction listener" + (kept == 0 ? "" : " (" + kept + " kept)")
              + " (expected: room after evicting unheld artifacts)");
    }
  }

  /** The region's index as the make-room protocol sees it; see the class comment. */
  private final class RegionIndex implements RoomMaker.Index<Entry> {
    @Override
    public ArtifactId id(Entry e) {
      return e.id;
    }

    @Override
    public Entry current(ArtifactId id) {
      int s = index.lookupLocked(CxlHash.of(id));
      return s < 0 ? null : entry(s);
    }

    @Override
    public Iterator<Entry> candidates() {
      for (ArtifactId id : stale) {
        if (known.remove(id)) {
          policy.onRemove(id);
        }
      }
      stale.clear();
      return new Candidates();
    }

    @Override
    public boolean leased(Entry e) {
      return holds.heldAnywhereBesides(e.slot, room.isEvictingLocked(e) ? 1 : 0);
    }

    @Override
    public void markEvicting(Entry e) {
      slots.setOwner(e.slot, holds.me());
      slots.setState(e.slot, EVICTING);
      holds.hold(e.slot);
    }

    @Override
    public void unmarkEvicting(Entry e) {
      holds.unhold(e.slot);
      if (slots.state(e.slot) == EVICTING && slots.seq(e.slot) == e.seq && slots.owner(e.slot) == holds.me()) {
        slots.publishState(e.slot, COMMITTED);
      } else {
        allocator.freeIfRetiredAndUnheldLocked(e.slot);
      }
    }

    /** A victim whose record fails its checks is dropped as corrupt here, and reported as let go. */
    @Override
    public boolean offer(Entry victim, EvictionListener listener) {
      RecordCodec.Record rec;
      try {
        rec = slots.check(victim.slot, victim.id, -1);
      } catch (CodecException e) {
        counters.corrupt.increment();
        LOG.log(System.Logger.Level.WARNING, where + ": dropped corrupt eviction victim " + victim.id + ": " + e.getMessage());
        guard.run(() -> {
          if (index.lookupLocked(victim.hash) == victim.slot && slots.seq(victim.slot) == victim.seq) {
            index.removeLocked(victim.hash, victim.slot);
            allocator.retireLocked(victim.slot);
          }
        });
        return true;
      }
      return listener.beforeEvict(tier, victim.id, rec.header().meta(), rec.payload().asReadOnly());
    }

    @Override
    public boolean remove(Entry victim) {
      releaseIdleHolds.run(); // a closed lease of this process must not keep the victim
      boolean removed = guard.locked(() -> {
        if (!room.removableLocked(victim)) {
          return false;
        }
        index.removeLocked(victim.hash, victim.slot);
        allocator.retireLocked(victim.slot);
        return true;
      });
      if (removed) {
        forget(victim.id);
      }
      return removed;
    }
  }

  /**
   * Current entries in eviction order: the policy's ids, then the visible slots of ids this
   * process does not know, oldest stamp first. Runs with the guard held.
   */
  private final class Candidates implements Iterator<Entry> {
    private final Iterator<ArtifactId> ordered = policy.victims();
    private Iterator<Entry> unknown;
    private Entry next;

    @Override
    public boolean hasNext() {
      while (next == null) {
        if (ordered.hasNext()) {
          ArtifactId id = ordered.next();
          int s = known.contains(id) ? index.lookupLocked(CxlHash.of(id)) : -1;
          Entry e = s < 0 ? null : entry(s);
          if (e == null || !e.id.equals(id)) {
            stale.add(id);
          } else {
            next = e;
          }
        } else {
          if (unknown == null) {
            unknown = unknownByAge();
          }
          if (!unknown.hasNext()) {
            return false;
          }
          next = unknown.next();
        }
      }
      return true;
    }

    @Override
    public Entry next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Entry e = next;
      next = null;
      return e;
    }

    private Iterator<Entry> unknownByAge() {
      List<Integer> found = new ArrayList<>();
      for (int s = 0; s < slots.count(); s++) {
        if (slots.state(s) == COMMITTED && !holds.heldAnywhere(s) && index.lookupLocked(slots.hash(s)) == s) {
          found.add(s);
        }
      }
      found.sort(Comparator.comparingLong(slots::stamp));
      List<Entry> out = new ArrayList<>();
      for (int s : found) {
        Entry e = entry(s);
        if (e == null) {
          dropUnreadable(s);
        } else if (!known.contains(e.id)) {
          out.add(e);
        }
      }
      return out.iterator();
    }
  }
}
