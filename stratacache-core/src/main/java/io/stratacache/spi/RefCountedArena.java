package io.stratacache.spi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A shared {@link Arena} that many segments live in together, closed when the last of its
 * references is released: one arena per mapping or per group of leases, never one per lease.
 *
 * <p>Why: closing a shared arena is a handshake with every thread of the JVM (about 20 µs on these
 * machines, whatever the arena's size), which is far more than a lease of memory that is already
 * there costs. Sharing one arena between the segments that live together pays that once per group.
 * A segment bound to the arena (with {@code MemorySegment.reinterpret(Arena, Consumer)} or by
 * mapping into {@link #arena()}) faults on access once the arena is closed, so a segment kept past
 * its owner's end raises instead of reading memory that was given back.
 *
 * <p>The creator holds the first reference. {@link #acquire()} takes another unless the arena is
 * already closed; {@link #release()} gives one back, and the last one closes the arena and then
 * runs the close action (for example, handing the memory behind the segments back for reuse: only
 * after the close may it be reused). Thread-safe; the close runs on the thread of the last release.
 */
public final class RefCountedArena {
  /** What {@link #closeNow()} sets the count to: far below any count of releases. */
  private static final int FORCED = Integer.MIN_VALUE / 2;

  private final Arena arena = Arena.ofShared();
  private final AtomicInteger refs = new AtomicInteger(1);
  private final Runnable onClose;

  /**
   * @param onClose runs once, after the arena is closed, on the thread of the last release
   */
  public RefCountedArena(Runnable onClose) {
    this.onClose = Objects.requireNonNull(onClose, "onClose");
  }

  /** The arena; segments bound to it fault once it is closed. */
  public Arena arena() {
    return arena;
  }

  /**
   * A view of {@code segment}'s memory bound to this arena. The caller keeps the memory alive
   * (unused by anything else) until the arena closes.
   */
  // Restricted: reinterpret binds existing memory to this arena, which is what makes a stale view
  // fault; modules using this enable native access.
  @SuppressWarnings("restricted")
  public MemorySegment bind(MemorySegment segment) {
    return segment.reinterpret(arena, null);
  }

  /**
   * Takes a reference.
   *
   * @return false if the arena is closed or closing (no reference taken)
   */
  public boolean acquire() {
    for (int n = refs.get(); n > 0; n = refs.get()) {
      if (refs.compareAndSet(n, n + 1)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Gives back a reference; the last closes the arena and runs the close action.
   *
   * @throws IllegalStateException if every reference was already released
   */
  public void release() {
    int n = refs.decrementAndGet();
    if (n == 0) {
      try {
        arena.close();
      } finally {
        onClose.run();
      }
    } else if (n < 0 && n > FORCED / 2) {
      refs.incrementAndGet();
      throw new IllegalStateException("arena released more often than acquired (expected: one release per reference)");
    }
  }

  /**
   * Closes the arena now whatever the references (its memory is going away: the owner closes);
   * later releases do nothing. Runs the close action if the arena was open. Idempotent.
   */
  public void closeNow() {
    if (refs.getAndSet(FORCED) > 0) {
      try {
        arena.close();
      } finally {
        onClose.run();
      }
    }
  }

  /** References held now (0 once closed). */
  public int references() {
    return Math.max(0, refs.get());
  }

  /** Whether the arena is still open. */
  public boolean isOpen() {
    return refs.get() > 0;
  }
}
