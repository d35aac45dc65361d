package io.stratacache.writeback;

import io.stratacache.core.ArtifactId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The artifacts of one write-back link that the upper tier holds and the lower tier does not yet
 * have. Thread-safe. Each entry carries its retry state: after a failed flush it is not due
 * again until its back-off has passed.
 *
 * <p>The owner of the link marks and clears entries while holding its own per-artifact lock, so
 * that a flush and a new store of the same artifact never interleave; this class only keeps the
 * books.
 */
public final class DirtySet {
  private final String name;
  private final ConcurrentHashMap<ArtifactId, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong bytes = new AtomicLong();
  private final ReentrantLock drainLock = new ReentrantLock();
  private final Condition drained = drainLock.newCondition();
  private final java.util.concurrent.atomic.AtomicInteger waiters = new java.util.concurrent.atomic.AtomicInteger();

  /** Retry state of one dirty artifact. */
  static final class Entry {
    final long size;
    volatile int failures;
    volatile long notBeforeNanos;

    Entry(long size) {
      this.size = size;
    }
  }

  /** A set for the link called {@code name} (e.g. {@code hot->warm}). */
  public DirtySet(String name) {
    this.name = name;
  }

  /** The link's name. */
  public String name() {
    return name;
  }

  /** Marks {@code id} dirty with a payload of {@code size} bytes, due for a flush at once. */
  public void mark(ArtifactId id, long size) {
    mark(id, size, 0);
  }

  /**
   * Marks {@code id} dirty with a payload of {@code size} bytes, resetting its retry state; the
   * worker leaves it alone for {@code delayNanos} (an explicit drain does not wait).
   */
  public void mark(ArtifactId id, long size, long delayNanos) {
    Entry fresh = new Entry(size);
    fresh.notBeforeNanos = System.nanoTime() + delayNanos;
    Entry previous = entries.put(id, fresh);
    bytes.addAndGet(size - (previous == null ? 0 : previous.size));
  }

  /** Clears {@code id}; returns whether it was dirty. */
  public boolean clear(ArtifactId id) {
    Entry e = entries.remove(id);
    if (e == null) {
      return false;
    }
    bytes.addAndGet(-e.size);
    signalIfBelow();
    return true;
  }

  /** Whether {@code id} is dirty. */
  public boolean contains(ArtifactId id) {
    return entries.containsKey(id);
  }

  /** Number of dirty artifacts. */
  public int size() {
    return entries.size();
  }

  /** Whether nothing is dirty. */
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** Total payload bytes of the dirty artifacts. */
  public long bytes() {
    return bytes.get();
  }

  /** A snapshot of the dirty ids. */
  public List<ArtifactId> ids() {
    return new ArrayList<>(entries.keySet());
  }

  /**
   * The ids due for a flush at {@code nowNanos}: all of them if {@code ignoreBackoff}; with
   * {@code pressing}, also those still in their flush delay that never failed.
   */
  List<ArtifactId> due(long nowNanos, boolean ignoreBackoff, boolean pressing, int max) {
    List<ArtifactId> out = new ArrayList<>(Math.min(max, entries.size()));
    for (var e : entries.entrySet()) {
      Entry entry = e.getValue();
      if (ignoreBackoff || entry.notBeforeNanos - nowNanos <= 0 || (pressing && entry.failures == 0)) {
        out.add(e.getKey());
        if (out.size() >= max) {
          break;
        }
      }
    }
    return out;
  }

  /** Records a failed flush of {@code id}: it is not due again for {@code backoffNanos}. */
  int recordFailure(ArtifactId id, long nowNanos, long minBackoffNanos, long maxBackoffNanos) {
    Entry e = entries.get(id);
    if (e == null) {
      return 0;
    }
    int failures = ++e.failures;
    long backoff = minBackoffNanos << Math.min(failures - 1, 30);
    e.notBeforeNanos = nowNanos + Math.min(backoff <= 0 ? maxBackoffNanos : backoff, maxBackoffNanos);
    return failures;
  }

  /**
   * Waits until the dirty bytes are at most {@code limit} or {@code timeoutNanos} pass. Returns
   * whether the bytes are at most the limit.
   */
  public boolean awaitBytesAtMost(long limit, long timeoutNanos) throws InterruptedException {
    waiters.incrementAndGet();
    drainLock.lock();
    try {
      long left = timeoutNanos;
      while (bytes.get() > limit) {
        if (left <= 0) {
          return false;
        }
        left = drained.awaitNanos(left);
      }
      return true;
    } finally {
      drainLock.unlock();
      waiters.decrementAndGet();
    }
  }

  /** Whether a writer is waiting in {@link #awaitBytesAtMost}. */
  public boolean hasWaiters() {
    return waiters.get() > 0;
  }

  private void signalIfBelow() {
    if (waiters.get() > 0) {
      drainLock.lock();
      try {
        drained.signalAll();
      } finally {
        drainLock.unlock();
      }
    }
  }

  @Override
  public String toString() {
    return "DirtySet[" + name + ": " + entries.size() + " artifacts, " + bytes.get() + " bytes]";
  }
}
