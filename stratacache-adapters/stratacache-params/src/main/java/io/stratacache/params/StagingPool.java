package io.stratacache.params;

import io.stratacache.core.CapacityException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Native memory for staged parameters, bounded in bytes: one slab allocated and touched at
 * construction, handed out as {@link Region}s.
 *
 * <p>Design note. Prefetched layers are taken and given back in the order they are needed, so
 * the slab is a ring: regions are cut in allocation order from the free space after the newest
 * region (wrapping to the start when the end is too short), and space comes back when the
 * <em>oldest</em> live region is closed. Closing out of order is correct but holds space until
 * the regions before it close. A request that cannot fit yet waits; one larger than the whole
 * slab fails at once.
 *
 * <pre>
 *  0        tail                    head           capacity
 *  |  free  | oldest ... newest     |     free     |          (not wrapped)
 *  | newest |      free      | oldest ...  | gap   |          (wrapped: head &lt;= tail)
 * </pre>
 *
 * Thread-safe.
 */
public final class StagingPool implements AutoCloseable {
  /** Alignment of every region's start. */
  public static final int ALIGNMENT = 64;

  private final long capacity;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment slab;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition freed = lock.newCondition();
  private final ArrayDeque<Region> live = new ArrayDeque<>();
  private long head;
  private long tail;
  private long used;
  private long peak;
  private boolean closed;

  /**
   * A pool of {@code capacityBytes}.
   *
   * @throws IllegalArgumentException if {@code capacityBytes} is not positive
   */
  public StagingPool(long capacityBytes) {
    if (capacityBytes <= 0) {
      throw new IllegalArgumentException("capacityBytes: " + capacityBytes + " (expected: > 0)");
    }
    this.capacity = align(capacityBytes);
    this.slab = arena.allocate(capacity, ALIGNMENT); // zero-filled, so every page is touched now
  }

  /** Bytes the pool holds. */
  public long capacity() {
    return capacity;
  }

  /** Bytes held by live regions (and any gap a wrap left before them). */
  public long used() {
    lock.lock();
    try {
      return used;
    } finally {
      lock.unlock();
    }
  }

  /** The most bytes ever held at once. */
  public long peakUsed() {
    lock.lock();
    try {
      return peak;
    } finally {
      lock.unlock();
    }
  }

  /**
   * A region of {@code bytes}, waiting until the ring has room.
   *
   * @throws CapacityException if {@code bytes} exceeds the capacity
   * @throws InterruptedException if interrupted while waiting
   */
  public Region acquire(long bytes) throws InterruptedException {
    return acquire(bytes, () -> false);
  }

  /**
   * Like {@link #acquire(long)}, but gives up (returning {@code null}) once {@code abort} says so;
   * {@link #wakeWaiters()} makes waiters check it at once.
   */
  public Region acquire(long bytes, BooleanSupplier abort) throws InterruptedException {
    if (bytes <= 0) {
      throw new IllegalArgumentException("bytes: " + bytes + " (expected: > 0)");
    }
    long size = align(bytes);
    if (size > capacity) {
      throw new CapacityException("staging pool: " + bytes + " bytes requested (expected: at most the pool's " + capacity + " bytes)");
    }
    lock.lockInterruptibly();
    try {
      while (true) {
        if (closed) {
          throw new IllegalStateException("staging pool is closed");
        }
        if (abort.getAsBoolean()) {
          return null;
        }
        Region r = tryCut(bytes, size);
        if (r != null) {
          return r;
        }
        freed.await(100, TimeUnit.MILLISECONDS);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiting {@link #acquire} so it re-checks its abort condition. */
  public void wakeWaiters() {
    lock.lock();
    try {
      freed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private Region tryCut(long bytes, long size) {
    long offset;
    long charged = size;
    if (live.isEmpty()) {
      head = 0;
      tail = 0;
      offset = 0;
    } else if (head > tail) {
      if (head + size <= capacity) {
        offset = head;
      } else if (size <= tail) {
        offset = 0;
        charged += capacity - head;
      } else {
        return null;
      }
    } else if (head + size <= tail) {
      offset = head;
    } else {
      return null;
    }
    Region r = new Region(offset, bytes, charged);
    live.addLast(r);
    head = offset + size;
    used += charged;
    peak = Math.max(peak, used);
    return r;
  }

  private void release(Region r) {
    lock.lock();
    try {
      if (r.released) {
        return;
      }
      r.released = true;
      r.open = false;
      while (!live.isEmpty() && live.peekFirst().released) {
        Region gone = live.removeFirst();
        used -= gone.charged;
      }
      if (live.isEmpty()) {
        head = 0;
        tail = 0;
      } else {
        tail = live.peekFirst().offset;
      }
      freed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private static long align(long n) {
    return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  /**
   * Frees the slab. Regions still open become unusable: closing the pool while arrays still wrap
   * its memory is the caller's error.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      freed.signalAll();
    } finally {
      lock.unlock();
    }
    arena.close();
  }

  /** A piece of the slab, {@link #ALIGNMENT}-aligned; close it to give the bytes back. */
  public final class Region implements AutoCloseable {
    private final long offset;
    private final long bytes;
    private final long charged;
    private boolean released;
    private volatile boolean open = true;

    private Region(long offset, long bytes, long charged) {
      this.offset = offset;
      this.bytes = bytes;
      this.charged = charged;
    }

    /**
     * The region's memory, exactly the requested size.
     *
     * @throws IllegalStateException if the region was closed
     */
    public MemorySegment segment() {
      if (!open) {
        throw new IllegalStateException("staging region at " + offset + " is closed");
      }
      return slab.asSlice(offset, bytes);
    }

    /** Offset in the slab. */
    public long offset() {
      return offset;
    }

    /** Whether the region is still open. */
    public boolean isOpen() {
      return open;
    }

    /** Gives the bytes back. Idempotent. */
    @Override
    public void close() {
      release(this);
    }
  }
}
