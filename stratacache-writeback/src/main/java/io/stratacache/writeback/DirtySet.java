package io.stratacache.writeback;

import io.stratacache.core.ArtifactId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 *
 * <p>Each entry carries a <i>stamp</i>: a number from one sequence shared by every set, taken
 * when the version was stored ({@link #nextStamp()}) and carried along when that version is
 * written down a link and becomes dirty on the next one. A flush takes the current stamp when it
 * is called and is done when no set holds an entry stamped at or below it: exactly the versions
 * dirty when it was called, followed down the chain, and nothing stored after.
 */
public final class DirtySet {
  private final String name;
  private final ConcurrentHashMap<ArtifactId, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong bytes = new AtomicLong();
  private final ReentrantLock drainLock = new ReentrantLock();
  private final Condition drained = drainLock.newCondition();
  private final AtomicInteger waiters = new AtomicInteger();
  private static final AtomicLong STAMPS = new AtomicLong();

  /**
   * Retry state of one dirty version. One thread at a time attempts to flush it ({@link #claim}),
   * so its failures are numbered 1, 2, 3 ... in the order they happened.
   */
  static final class Entry {
    final long size;
    final long stamp;
    final AtomicBoolean claimed = new AtomicBoolean();
    volatile int failures;
    volatile long notBeforeNanos;

    Entry(long size, long stamp) {
      this.size = size;
      this.stamp = stamp;
    }
  }

  /** A stamp for a version stored now: larger than every stamp taken before. */
  public static long nextStamp() {
    return STAMPS.incrementAndGet();
  }

  /** The largest stamp taken so far: every version stored from now on is stamped above it. */
  public static long currentStamp() {
    return STAMPS.get();
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
    mark(id, size, delayNanos, nextStamp());
  }

  /** As {@link #mark(ArtifactId, long, long)} for a version stamped {@code stamp}. */
  public void mark(ArtifactId id, long size, long delayNanos, long stamp) {
    Entry fresh = new Entry(size, stamp);
    fresh.notBeforeNanos = System.nanoTime() + delayNanos;
    Entry previous = entries.put(id, fresh);
    bytes.addAndGet(size - (previous == null ? 0 : previous.size));
  }

  /**
   * Marks {@code id} as {@link #mark(ArtifactId, long, long, long)} does if the dirty bytes, with
   * this payload in place of {@code id}'s current dirty payload, stay at most {@code limit};
   * returns whether it did. The caller holds {@code id}'s lock, so {@code id}'s own entry cannot
   * change meanwhile; other artifacts' marks and clears race harmlessly: the limit holds.
   */
  public boolean markIfRoom(ArtifactId id, long size, long delayNanos, long stamp, long limit) {
    Entry current = entries.get(id);
    long delta = size - (current == null ? 0 : current.size);
    for (long b = bytes.get(); ; b = bytes.get()) {
      if (delta > 0 && b + delta > limit) {
        return false;
      }
      if (bytes.compareAndSet(b, b + delta)) {
        break;
      }
    }
    Entry fresh = new Entry(size, stamp);
    fresh.notBeforeNanos = System.nanoTime() + delayNanos;
    Entry previous = entries.put(id, fresh);
    long drift = (current == null ? 0 : current.size) - (previous == null ? 0 : previous.size);
    if (drift != 0) { // the entry changed without the caller's lock: keep the books right regardless
      bytes.addAndGet(drift);
    }
    if (delta < 0) {
      signalIfBelow();
    }
    return true;
  }

  /** The dirty payload size of {@code id}, or 0 if it is not dirty. */
  public long sizeOf(ArtifactId id) {
    Entry e = entries.get(id);
    return e == null ? 0 : e.size;
  }

  /** The stamp of {@code id}'s dirty version, or -1 if it is not dirty. */
  public long stampOf(ArtifactId id) {
    Entry e = entries.get(id);
    return e == null ? -1 : e.stamp;
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

  /** A snapshot of the ids whose dirty version is stamped at most {@code maxStamp}. */
  public List<ArtifactId> idsStampedAtMost(long maxStamp) {
    List<ArtifactId> out = new ArrayList<>();
    entries.forEach((id, e) -> {
      if (e.stamp <= maxStamp) {
        out.add(id);
      }
    });
    return out;
  }

  /** Whether some dirty version is stamped at most {@code maxStamp}. */
  public boolean hasStampedAtMost(long maxStamp) {
    for (Entry e : entries.values()) {
      if (e.stamp <= maxStamp) {
        return true;
      }
    }
    return false;
  }

  /**
   * The ids due for a flush at {@code nowNanos}, among those stamped at most {@code maxStamp}: all
   * of them if {@code ignoreBackoff}; with {@code pressing}, also those still in their flush delay
   * that never failed.
   */
  List<ArtifactId> due(long nowNanos, boolean ignoreBackoff, boolean pressing, int max, long maxStamp) {
    List<ArtifactId> out = new ArrayList<>(Math.min(max, entries.size()));
    for (var e : entries.entrySet()) {
      Entry entry = e.getValue();
      if (entry.stamp > maxStamp) {
        continue;
      }
      if (ignoreBackoff || entry.notBeforeNanos - nowNanos <= 0 || (pressing && entry.failures == 0)) {
        out.add(e.getKey());
        if (out.size() >= max) {
          break;
        }
      }
    }
    return out;
  }

  /**
   * Claims {@code id}'s dirty version for one flush attempt: returns its entry, or null if
   * {@code id} is not dirty or another thread is attempting it now. The claimer ends the attempt
   * with {@link #release}, after {@link #recordFailure} if it failed.
   */
  Entry claim(ArtifactId id) {
    Entry e = entries.get(id);
    return e != null && e.claimed.compareAndSet(false, true) ? e : null;
  }

  /** Ends the attempt that {@link #claim} began on {@code e}. */
  static void release(Entry e) {
    e.claimed.set(false);
  }

  /**
   * Records a failed attempt on the claimed version {@code e}: it is not due again until its
   * back-off has passed. Returns its failures so far, this one included (a newer version stored
   * meanwhile starts afresh).
   */
  static int recordFailure(Entry e, long nowNanos, long minBackoffNanos, long maxBackoffNanos) {
    int failures = ++e.failures; // the claim makes this thread the only writer
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
