package io.stratacache.backend.cxl;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The two locks that serialize changes to a region: a mutex shared by every layer of this process
 * that maps the same path, taken first, then the {@linkplain CxlRegionLock region lock} shared by
 * every process. Breaking a dead or stalled holder's region lock runs the repair given at
 * construction before the caller's body.
 */
final class CxlGuard {
  private static final System.Logger LOG = System.getLogger(CxlGuard.class.getName());
  private static final Map<Path, ReentrantLock> PROCESS_MUTEXES = new ConcurrentHashMap<>();

  private final String where;
  private final ReentrantLock mutex;
  private final CxlRegionLock regionLock;
  private final long leaseMillis;
  private final Runnable repair;

  /**
   * @param where the layer's name for messages
   * @param path the region's path; layers mapping the same file share one mutex
   * @param regionLock the region's lock
   * @param leaseMillis how long the region lock may be held (for the message when it was broken)
   * @param repair what to run after breaking a stale holder's lock, under both locks
   */
  CxlGuard(String where, Path path, CxlRegionLock regionLock, long leaseMillis, Runnable repair) {
    this.where = where;
    this.mutex = PROCESS_MUTEXES.computeIfAbsent(canonical(path), p -> new ReentrantLock());
    this.regionLock = regionLock;
    this.leaseMillis = leaseMillis;
    this.repair = repair;
  }

  private static Path canonical(Path p) {
    try {
      return p.toRealPath();
    } catch (java.io.IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }

  /** Runs {@code body} holding the process mutex and the region lock, repairing first if needed. */
  <T> T locked(Supplier<T> body) {
    mutex.lock();
    try {
      if (regionLock.acquire()) {
        LOG.log(System.Logger.Level.WARNING, where + ": broke the region lock of a dead or stalled process; repairing");
        repair.run();
      }
      try {
        return body.get();
      } finally {
        release();
      }
    } finally {
      mutex.unlock();
    }
  }

  /** {@link #locked(Supplier)} for a body without a result. */
  void run(Runnable body) {
    locked(() -> {
      body.run();
      return null;
    });
  }

  /**
   * Runs {@code body} holding both locks without repairing first: for opening and leaving the
   * region, whose bodies format or repair themselves.
   */
  <T> T lockedRaw(Supplier<T> body) {
    mutex.lock();
    try {
      regionLock.acquire();
      try {
        return body.get();
      } finally {
        release();
      }
    } finally {
      mutex.unlock();
    }
  }

  /** Runs {@code body} holding the process mutex only (for state no other process sees). */
  <T> T inProcess(Supplier<T> body) {
    mutex.lock();
    try {
      return body.get();
    } finally {
      mutex.unlock();
    }
  }

  private void release() {
    if (!regionLock.release()) {
      LOG.log(System.Logger.Level.ERROR, where + ": the region lock was broken while held (a critical section outlasted"
          + " lock_lease_ms = " + leaseMillis + "); raise lock_lease_ms");
    }
  }
}
