package io.stratacache.backend.cxl;

import java.util.concurrent.locks.LockSupport;

/**
 * The lock that serializes writers of a region across processes, kept in the region's {@link
 * CxlLayout#LOCK_OFFSET LOCK} word and taken with a compare-and-set:
 *
 * <pre>
 *  63              32 31               0
 *  +-----------------+-----------------+
 *  |   owner pid     | lease deadline  |   0 = free
 *  +-----------------+-----------------+
 *   deadline = (currentTimeMillis() + lease) mod 2^32
 * </pre>
 *
 * <p>It survives the death of its holder: a waiter breaks the lock (replaces the word with its own
 * by compare-and-set) when the owner's process is not alive ({@link ProcessHandle#of}), when the
 * lease has run out, or when the word names the waiter's own pid although no thread of the waiter
 * holds it (a previous process that had the same pid). The breaker then repairs the region, since
 * the dead holder may have stopped half-way through a change.
 *
 * <p>Assumptions, documented because they are not checked: the processes sharing a region share a
 * pid namespace (otherwise only the lease breaks a dead holder's lock), and no holder stalls for
 * longer than the lease (a holder that does, and then resumes, may meet a breaker's repair). The
 * holder takes it for short critical sections only: allocation, commit, free, never a copy or a
 * listener call.
 *
 * <p>Not reentrant, and used by one thread of a process at a time (the layer's in-process mutex
 * is always taken first).
 */
final class CxlRegionLock {
  private final CxlRegion region;
  private final long leaseMillis;
  private final int pid;
  private long held;

  CxlRegionLock(CxlRegion region, long leaseMillis, int pid) {
    this.region = region;
    this.leaseMillis = leaseMillis;
    this.pid = pid;
  }

  static long word(int pid, long deadlineMillis) {
    return (long) pid << 32 | (deadlineMillis & 0xFFFF_FFFFL);
  }

  static int ownerPid(long word) {
    return (int) (word >>> 32);
  }

  /**
   * Takes the lock, waiting for a live holder and breaking a stale one.
   *
   * @return {@code true} if a stale holder's lock was broken and the region needs repair
   */
  boolean acquire() {
    for (int spins = 0; ; spins++) {
      long w = region.getVolatile(CxlLayout.LOCK_OFFSET);
      long now = System.currentTimeMillis();
      long mine = word(pid, now + leaseMillis);
      if (w == 0) {
        if (region.compareAndSet(CxlLayout.LOCK_OFFSET, 0, mine)) {
          held = mine;
          return false;
        }
        continue;
      }
      if (isStale(w, now) && region.compareAndSet(CxlLayout.LOCK_OFFSET, w, mine)) {
        held = mine;
        region.getAndAdd(CxlLayout.LOCK_BREAKS_OFFSET, 1);
        return true;
      }
      if (spins < 200) {
        Thread.onSpinWait();
      } else {
        LockSupport.parkNanos(spins < 2000 ? 20_000 : 1_000_000);
      }
    }
  }

  private boolean isStale(long w, long now) {
    int owner = ownerPid(w);
    int deadline = (int) w;
    if ((int) now - deadline > 0) {
      return true;
    }
    if (owner == pid) {
      return true;
    }
    return !isAlive(owner);
  }

  /** Extends the lease of the lock this process holds; returns false if it had been broken meanwhile. */
  boolean renew() {
    long renewed = word(pid, System.currentTimeMillis() + leaseMillis);
    if (region.compareAndSet(CxlLayout.LOCK_OFFSET, held, renewed)) {
      held = renewed;
      return true;
    }
    return false;
  }

  /** Releases the lock; returns false if it had been broken meanwhile (the lease ran out). */
  boolean release() {
    long mine = held;
    held = 0;
    return region.compareAndSet(CxlLayout.LOCK_OFFSET, mine, 0);
  }

  static boolean isAlive(int pid) {
    return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }
}
