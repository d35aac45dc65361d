package io.stratacache.tiering;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.EvictionObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The eviction observers of a chain, and the delivery of each eviction to them. Thread-safe.
 *
 * <p>Evictions are delivered by whichever thread evicts: a store making room, or the maintenance
 * agent. Delivery holds a read lock and removal the write lock, so that once a removal returns,
 * the observer hears nothing more, even from a delivery another thread had begun. An observer that
 * removes itself from its own callback does not wait (it would wait for itself). An observer that
 * throws is logged and the others still hear the eviction.
 */
final class EvictionObservers {
  private static final System.Logger LOG = System.getLogger(TierChain.class.getName());

  private final List<EvictionObserver> observers = new CopyOnWriteArrayList<>();
  private final ReentrantReadWriteLock delivering = new ReentrantReadWriteLock();

  /** Adds {@code observer}; running the returned action removes it, as the class note says. */
  Runnable add(EvictionObserver observer) {
    observers.add(observer);
    return () -> {
      if (delivering.getReadHoldCount() > 0) {
        observers.remove(observer); // inside a delivery on this thread: waiting would wait for ourselves
        return;
      }
      delivering.writeLock().lock();
      try {
        observers.remove(observer);
      } finally {
        delivering.writeLock().unlock();
      }
    };
  }

  /** Tells every observer that {@code tier} evicted {@code id}. */
  void evicted(String tier, ArtifactId id, ArtifactMeta meta) {
    if (observers.isEmpty()) {
      return;
    }
    delivering.readLock().lock();
    try {
      for (EvictionObserver o : observers) {
        try {
          o.evicted(tier, id, meta);
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, () -> "eviction observer failed on " + id + " from " + tier + ": " + e);
        }
      }
    } finally {
      delivering.readLock().unlock();
    }
  }
}
