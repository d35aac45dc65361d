package io.stratacache.backend.cxl;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The locks that serialize changes to a region, taken in this order: a mutex shared by every
 * layer of this process that maps the same path; the {@linkplain CxlRegionLock region lock}
 * shared by every process; and the layer's own order lock, which guards its eviction order (so
 * that loads, which take only the order lock, never wait for another process). Breaking a dead or
 * stalled holder's region lock runs the repair given at construction before the caller goes on.
 *
 * <p>As a {@link Lock} (the lock of the layer's {@link io.stratacache.spi.RoomMaker}) it takes all
 * three. The region lock is not reentrant: code holding the guard never takes it again.
 * Conditions are not supported (the make-room protocol waits on a monitor of its own).
 */
final class CxlGuard implements Lock {
  private static final System.Logger LOG = System.getLogger(CxlGuard.class.getName());
  private static final Map<Path, ReentrantLock> PROCESS_MUTEXES = new ConcurrentHashMap<>();

  private final String where;
  private final ReentrantLock mutex;
  private final CxlRegionLock regionLock;
  private final ReentrantLock orderLock = new ReentrantLock();
  private final long leaseMillis;
  private final Runnable repair;

  /**
   * @param where the layer's name for messages
   * @param path the region's path; layers mapping the same file share one mutex
   * @param regionLock the region's lock
   * @param leaseMillis how long the region lock may be held (for the message when it was broken)
   * @param repair what to run after breaking a stale holder's lock, under the region lock
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

  /** The lock of the layer's eviction order, taken alone by loads and inside the guard by changes. */
  ReentrantLock orderLock() {
    return orderLock;
  }

  /** Takes the three locks, repairing the region first if a stale region lock was broken. */
  @Override
  public void lock() {
    mutex.lock();
    boolean success = false;
    try {
      if (regionLock.acquire()) {
        try {
          LOG.log(System.Logger.Level.WARNING, where + ": broke the region lock of a dead or stalled process; repairing");
          repair.run();
        } catch (RuntimeException | Error e) {
          release();
          throw e;
        }
      }
      orderLock.lock();
      success = true;
    } finally {
      if (!success) {
        mutex.unlock();
      }
    }
  }

  @Override
  public void unlock() {
    orderLock.unlock();
    try {
      release();
    } finally {
      mutex.unlock();
    }
  }

  /** As {@link #lock()}, after checking for an interrupt (the wait itself is not interruptible). */
  @Override
  public void lockInterruptibly() throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    lock();
  }

  /** Takes the locks if this process's mutex is free now (then waits briefly for the region lock). */
  @Override
  public boolean tryLock() {
    if (!mutex.tryLock()) {
      return false;
    }
    try {
      lock();
    } finally {
      mutex.unlock();
    }
    return true;
  }

  /** As {@link #tryLock()}, waiting up to {@code time} for this process's mutex. */
  @Override
  public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
    if (!mutex.tryLock(time, unit)) {
      return false;
    }
    try {
      lock();
    } finally {
      mutex.unlock();
    }
    return true;
  }

  /**
   * Not supported: a condition would have to release a lock shared with other processes.
   *
   * @throws UnsupportedOperationException always
   */
  @Override
  public Condition newCondition() {
    throw new UnsupportedOperationException(where + ": the region guard has no conditions");
  }

  /** Runs {@code body} holding the guard. */
  <T> T locked(Supplier<T> body) {
    lock();
    try {
      return body.get();
    } finally {
      unlock();
    }
  }

  /** {@link #locked(Supplier)} for a body without a result. */
  void run(Runnable body) {
    lock();
    try {
      body.run();
    } finally {
      unlock();
    }
  }

  /**
   * Runs {@code body} holding the mutex and the region lock without repairing first: for opening
   * and leaving the region, whose bodies format or repair themselves.
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

  /** Extends the region lock's lease, for a holder that works through the whole region. */
  void renewRegionLock() {
    if (!regionLock.renew()) {
      LOG.log(System.Logger.Level.ERROR, where + ": the region lock was broken while held (a critical section outlasted"
          + " lock_lease_ms = " + leaseMillis + "); raise lock_lease_ms");
    }
  }

  private void release() {
    if (!regionLock.release()) {
      LOG.log(System.Logger.Level.ERROR, where + ": the region lock was broken while held (a critical section outlasted"
          + " lock_lease_ms = " + leaseMillis + "); raise lock_lease_ms");
    }
  }
}
