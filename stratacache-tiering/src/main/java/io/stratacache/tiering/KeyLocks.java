package io.stratacache.tiering;

import io.stratacache.core.ArtifactId;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per artifact id, created on first use and dropped when no thread holds or waits for
 * it. Mutations of one artifact (store, delete, flush, demotion, promotion) serialize on its lock;
 * different artifacts never share one, so I/O on one artifact never blocks another.
 */
final class KeyLocks {
  private final ConcurrentHashMap<ArtifactId, Slot> slots = new ConcurrentHashMap<>();

  private static final class Slot {
    final ReentrantLock lock = new ReentrantLock();
    int users; // guarded by the map's compute
  }

  /** A held lock; {@link #close()} releases it. */
  final class Held implements AutoCloseable {
    private final ArtifactId id;
    private final Slot slot;

    private Held(ArtifactId id, Slot slot) {
      this.id = id;
      this.slot = slot;
    }

    @Override
    public void close() {
      slot.lock.unlock();
      release(id);
    }
  }

  private Slot acquireSlot(ArtifactId id) {
    return slots.compute(id, (k, s) -> {
      Slot slot = s == null ? new Slot() : s;
      slot.users++;
      return slot;
    });
  }

  private void release(ArtifactId id) {
    slots.computeIfPresent(id, (k, s) -> --s.users == 0 ? null : s);
  }

  /** Locks {@code id}, waiting as long as it takes. */
  Held lock(ArtifactId id) {
    Slot slot = acquireSlot(id);
    slot.lock.lock();
    return new Held(id, slot);
  }

  /** Locks {@code id} if free (or already held by this thread), else returns {@code null}. */
  Held tryLock(ArtifactId id) {
    Slot slot = acquireSlot(id);
    if (slot.lock.tryLock()) {
      return new Held(id, slot);
    }
    release(id);
    return null;
  }

  /** Ids with a live lock; for invariant checks. */
  int size() {
    return slots.size();
  }
}
