package io.stratacache.tiering;

import io.stratacache.config.ChainConfig;
import io.stratacache.config.LinkMode;
import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.Capability;
import io.stratacache.spi.Lease;
import io.stratacache.writeback.DirtySet;
import io.stratacache.writeback.WritebackWorker;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The chain's write-down machinery: everything that carries an artifact's bytes from a tier into
 * the tier below. It owns the rules by which a version reaches the lower tiers after a store
 * ({@link #propagate}: write-through now, or a mark in the link's {@link DirtySet} for the
 * write-back worker), the worker's flush of one dirty artifact ({@link #flushLink}), the eviction
 * listener's decision to write a victim down, drop it or refuse its eviction ({@link
 * #beforeEvict}), the lease that keeps such a version safe while a store replaces it ({@link
 * #replacing}), the admission of an artifact on the load that reaches a link's {@code admit_after}
 * ({@link #used}), and the passing over of a self-evicting tier that is unavailable. It counts
 * demotions, eviction writes, refused evictions and skipped unavailable tiers. {@link TierChain}'s
 * design note states the rules; this class keeps them.
 *
 * <p>Thread-safety and locks: the class holds no state of its own beyond its counters (atomic);
 * the dirty sets and the per-artifact {@link KeyLocks} are the chain's, shared with it and with
 * {@link Backpressure}. {@link #replacing}, {@link #propagate} and {@link #clearDirty} are called
 * with the artifact's lock held by the caller. {@link #flushLink} takes the artifact's lock,
 * waiting for it; its callers (the write-back worker, or a caller of {@link TierChain#flush} or
 * {@link TierChain#close} draining the links) hold none. {@link #beforeEvict} (called by a layer
 * making room, often on a thread that holds the lock of the artifact being stored) and {@link
 * #used} (called after a load hit, holding none) only try the lock and give up rather than wait,
 * so that an eviction never deadlocks with a store.
 */
final class WriteDown {
  /** The chain's logger: these messages are the chain's, and are configured by its name. */
  private static final System.Logger LOG = System.getLogger(TierChain.class.getName());

  private final TierChain.Tier[] tiers;
  private final LinkMode[] links;
  private final DirtySet[] dirty;
  private final ChainConfig chainConfig;
  private final WritebackConfig writebackConfig;
  private final WritebackWorker worker;
  private final AdmissionGate gate;
  private final KeyLocks locks;
  private final AtomicLong demotions = new AtomicLong();
  private final AtomicLong evictionWrites = new AtomicLong();
  private final AtomicLong refusedEvictions = new AtomicLong();
  private final AtomicLong skippedUnavailable = new AtomicLong();

  /**
   * The write-down of a chain over {@code tiers} (head first), with {@code links[j]} and {@code
   * dirty[j]} the mode and dirty set of the link below tier j ({@code dirty} has one slot per
   * tier; the last is {@code null}).
   */
  WriteDown(TierChain.Tier[] tiers, LinkMode[] links, DirtySet[] dirty, ChainConfig chainConfig,
      WritebackConfig writebackConfig, WritebackWorker worker, AdmissionGate gate, KeyLocks locks) {
    this.tiers = tiers;
    this.links = links;
    this.dirty = dirty;
    this.chainConfig = chainConfig;
    this.writebackConfig = writebackConfig;
    this.worker = worker;
    this.gate = gate;
    this.locks = locks;
  }

  // ---------------------------------------------------------------- after a store

  /**
   * Runs {@code action}, a put or reserve into tier {@code index} that replaces {@code id}, without
   * risking a version there that must be written down before it goes (dirty, or held by no lower
   * tier while eviction demotes). A layer may drop the version being replaced to make room for its
   * replacement, without asking the listener; a store refused after that would lose it. So such a
   * version is leased (a leased version is never dropped so) while {@code action} runs; if the
   * layer is full, it is written down first and {@code action} runs again without the lease.
   * Caller holds the artifact's lock.
   */
  <T> T replacing(int index, ArtifactId id, Supplier<T> action) {
    boolean isDirty = dirty[index] != null && dirty[index].contains(id);
    boolean onlyCopy = !isDirty && index < tiers.length - 1 && chainConfig.demoteOnEvict()
        && tiers[index].layer().contains(id) && !heldBelow(index, id) && gate.admits(index, id);
    Lease guard = isDirty || onlyCopy ? tiers[index].layer().get(id) : null;
    if (guard == null) {
      return action.get();
    }
    try {
      return action.get();
    } catch (CapacityException full) {
      try {
        writeBelow(index, id, guard, isDirty ? dirty[index].stampOf(id) : DirtySet.nextStamp());
      } catch (RuntimeException e) {
        full.addSuppressed(e);
        throw full;
      }
      if (isDirty) {
        dirty[index].clear(id);
      }
    } finally {
      guard.close();
    }
    return action.get();
  }

  /**
   * Writes below tier {@code index} as its links say, never waiting. Caller holds the artifact's
   * lock. A write-through that fails leaves the version dirty on that link (stamped {@code
   * stamp}) for the worker to retry, and is returned; otherwise returns {@code null}.
   */
  RuntimeException propagate(int index, ArtifactId id, ArtifactMeta meta, MemorySegment payload, long stamp) {
    long size = payload.byteSize();
    for (int j = index; j < links.length; j++) {
      if (!admitted(j, id)) {
        gate.countDeferred(); // written down at its n-th use, or dropped when evicted before
        return null;
      }
      if (links[j] == LinkMode.WRITE_BACK) {
        long delay = writebackConfig.flushInterval().toNanos();
        if (dirty[j].markIfRoom(id, size, delay, stamp, writebackConfig.maxDirtyBytes())) {
          return null;
        }
        // back-pressure: over the limit with no room left to wait for, the store writes through
        try {
          tiers[j + 1].layer().put(id, meta, payload);
        } catch (RuntimeException e) {
          // keep the artifact dirty, so the worker retries it, rather than fail a store whose
          // bytes the upper tier already holds
          dirty[j].mark(id, size, 0, stamp);
          worker.wake();
          return null;
        }
        dirty[j].clear(id);
        continue;
      }
      try {
        tiers[j + 1].layer().put(id, meta, payload);
      } catch (RuntimeException e) {
        if (e instanceof LayerUnavailableException down && selfEvicting(j + 1)) {
          // a remote cache that is down does not fail a store the tiers above already hold
          skipUnavailable(j + 1, id, "store", down);
          continue;
        }
        dirty[j].mark(id, size, 0, stamp);
        worker.wake();
        return e;
      }
      dirty[j].clear(id);
    }
    return null;
  }

  /**
   * Writes the bytes of tier {@code index} into the tier below, then follows the links from there
   * (a failed write-through further down stays dirty there). Caller holds the artifact's lock.
   *
   * @throws RuntimeException if the tier below refused the bytes
   */
  private void writeBelow(int index, ArtifactId id, Lease current, long stamp) {
    tiers[index + 1].layer().put(id, current.meta(), current.segment());
    RuntimeException failed = propagate(index + 1, id, current.meta(), current.segment(), stamp);
    if (failed != null) {
      LOG.log(System.Logger.Level.DEBUG, () -> "write-through of " + id + " below " + tiers[index + 1].name()
          + " failed, kept dirty: " + failed);
    }
  }

  /** Removes {@code id}'s dirty mark on the link below tier {@code index}, if there is one. */
  void clearDirty(int index, ArtifactId id) {
    if (dirty[index] != null) {
      dirty[index].clear(id);
    }
  }

  // ---------------------------------------------------------------- admission

  /**
   * Counts a load hit of {@code id} at tier {@code hitAt} for admission; on the use that admits
   * it to a gated link whose upper tier holds it and whose lower tiers do not, marks it dirty
   * there for the worker to write down. Never waits for the artifact's lock (a store in progress
   * applies the gate itself).
   */
  void used(int hitAt, ArtifactId id, Lease lease) {
    if (!gate.active()) {
      return;
    }
    int estimate = gate.use(id);
    for (int j = 0; j < links.length; j++) {
      if (!gate.admittedBy(j, estimate)) {
        continue;
      }
      KeyLocks.Held h = locks.tryLock(id);
      if (h == null) {
        return;
      }
      try (h) {
        if (!dirty[j].contains(id) && tiers[j].layer().contains(id) && !heldBelow(j, id)) {
          dirty[j].mark(id, lease.segment().byteSize(), 0, DirtySet.nextStamp());
          worker.wake();
        }
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, () -> "admission of " + id + " below " + tiers[hitAt].name() + " deferred: " + e);
      }
    }
  }

  /**
   * Whether link {@code link} writes {@code id} down now: its gate admits it, or a tier below
   * already holds a version of it (which must then be replaced, never left stale).
   */
  private boolean admitted(int link, ArtifactId id) {
    if (gate.admits(link, id)) {
      return true;
    }
    try {
      return heldBelow(link, id);
    } catch (LayerUnavailableException e) {
      return true; // cannot tell: write it down as an ungated link would
    }
  }

  // ---------------------------------------------------------------- eviction and flush

  /**
   * The eviction listener's answer for {@code id} leaving tier {@code index}: whether it may go,
   * after writing it into the tier below if it is dirty or (under demotion) no lower tier holds
   * it. Refuses, without waiting, if the artifact's lock is taken or that write fails.
   */
  boolean beforeEvict(int index, ArtifactId id) {
    ChainEvents.Evict event = new ChainEvents.Evict();
    event.begin();
    boolean evicted = writeDownBeforeEvict(index, id);
    if (evicted && event.shouldCommit()) {
      event.tier = tiers[index].name();
      event.id = id.value();
      event.commit();
    }
    return evicted;
  }

  private boolean writeDownBeforeEvict(int index, ArtifactId id) {
    KeyLocks.Held h = locks.tryLock(id);
    if (h == null) {
      refusedEvictions.incrementAndGet();
      return false; // a store, delete or flush of this artifact is under way: pick another victim
    }
    try (h) {
      boolean isDirty = dirty[index] != null && dirty[index].contains(id);
      boolean last = index == tiers.length - 1;
      try {
        if (!isDirty && (last || !chainConfig.demoteOnEvict() || heldBelow(index, id))) {
          return true;
        }
        if (!isDirty && !gate.admits(index, id)) {
          gate.countDropped(); // not yet admitted below: dropped, as the link's admit_after says
          return true;
        }
        ChainEvents.Demote demote = new ChainEvents.Demote();
        demote.begin();
        try (Lease current = tiers[index].layer().get(id)) {
          if (current == null) {
            return true;
          }
          // the current bytes, not the listener's argument: a replacement may have raced the eviction
          writeBelow(index, id, current, isDirty ? dirty[index].stampOf(id) : DirtySet.nextStamp());
          if (demote.shouldCommit()) {
            demote.from = tiers[index].name();
            demote.to = tiers[index + 1].name();
            demote.id = id.value();
            demote.dirty = isDirty;
            demote.bytes = current.size();
            demote.commit();
          }
        }
      } catch (LayerUnavailableException e) {
        if (isDirty || !selfEvicting(index + 1)) {
          throw e; // a dirty artifact's, or a durable tier's, only copy stays until it can be written down
        }
        skipUnavailable(index + 1, id, "demotion", e); // a clean copy may go: the tier below is down
        return true;
      }
      clearDirty(index, id);
      if (isDirty) {
        evictionWrites.incrementAndGet();
      } else {
        demotions.incrementAndGet();
      }
      return true;
    } catch (RuntimeException e) {
      refusedEvictions.incrementAndGet();
      LOG.log(System.Logger.Level.DEBUG, () -> "eviction of " + id + " from " + tiers[index].name()
          + " refused: writing it to " + tiers[index + 1].name() + " failed: " + e);
      return false;
    }
  }

  private boolean heldBelow(int index, ArtifactId id) {
    for (int i = index + 1; i < tiers.length; i++) {
      if (tiers[i].layer().contains(id)) {
        return true;
      }
    }
    return false;
  }

  /** Writes dirty {@code id} of link {@code index} into the tier below. Idempotent. */
  void flushLink(int index, ArtifactId id) {
    try (KeyLocks.Held _ = locks.lock(id)) {
      if (!dirty[index].contains(id)) {
        return;
      }
      try (Lease current = tiers[index].layer().get(id)) {
        if (current != null) {
          writeBelow(index, id, current, dirty[index].stampOf(id));
        }
      }
      dirty[index].clear(id);
    }
  }

  /** The write-back worker's error handler: the first failure of an artifact is a warning, retries are debug. */
  static void onFlushError(String link, ArtifactId id, int failures, Throwable error) {
    System.Logger.Level level = failures == 1 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
    LOG.log(level, () -> "write-back " + link + ": flush of " + id + " failed (attempt " + failures + "), will retry: " + error);
  }

  // ---------------------------------------------------------------- unavailable tiers

  /** Whether tier {@code index} may lose artifacts by itself, so that passing over it loses no promise. */
  boolean selfEvicting(int index) {
    return tiers[index].layer().capabilities().contains(Capability.SELF_EVICTING);
  }

  /** Counts and logs {@code what} of {@code id} passing over unavailable tier {@code index}. */
  void skipUnavailable(int index, ArtifactId id, String what, LayerUnavailableException e) {
    skippedUnavailable.incrementAndGet();
    LOG.log(System.Logger.Level.DEBUG, () -> what + " of " + id + " skipped tier " + tiers[index].name() + ": " + e.getMessage());
  }

  // ---------------------------------------------------------------- counters

  /** Clean artifacts written into the tier below before their eviction. */
  long demotions() {
    return demotions.get();
  }

  /** Dirty artifacts written into the tier below before their eviction. */
  long evictionWrites() {
    return evictionWrites.get();
  }

  /** Evictions refused: the artifact's lock was taken, or writing it down failed. */
  long refusedEvictions() {
    return refusedEvictions.get();
  }

  /** Operations that passed over an unavailable self-evicting tier. */
  long skippedUnavailable() {
    return skippedUnavailable.get();
  }
}
