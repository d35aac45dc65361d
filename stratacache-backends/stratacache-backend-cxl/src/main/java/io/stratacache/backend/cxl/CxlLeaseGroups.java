package io.stratacache.backend.cxl;

import io.stratacache.spi.RefCountedArena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The arenas that lease views of one layer live in: the leases one thread takes join its current
 * {@link RefCountedArena}, up to {@value #SIZE} per group, so that leases pay one arena close per
 * group instead of one each. Closing a shared arena is a handshake with every thread (about 20 µs
 * here, whatever its size), against about a microsecond for the rest of a lease of a small
 * artifact.
 *
 * <p>Design: a group is joined by the thread that started it only, and holds one reference of its
 * own while it is joinable, plus one per open lease; once it stops being joinable its own
 * reference is given back, and the last release closes the arena. Each lease's slot stays held
 * ({@link CxlHolds}) until its group's arena closes, since until then a segment kept past the
 * lease's close still reads the slot (its own bytes, never another artifact's); so no process
 * frees or reuses the slot while any view of it works. A group stops being joinable when:
 *
 * <ul>
 *   <li>it has taken {@value #SIZE} leases;
 *   <li>its last open lease closes while one of its slots no longer holds a visible record (deleted,
 *       replaced or evicted meanwhile): that slot's room is wanted back;
 *   <li>it has had no open lease for {@value #IDLE_MILLIS} ms ({@link #retireIdle}, run by the
 *       layer's maintenance thread, off the caller's path);
 *   <li>the layer needs room or closes, or this process deletes, replaces or evicts one of its
 *       slots ({@link #retireIdleAndWait}).
 * </ul>
 *
 * <p>So a view kept past its lease's close faults at the latest a few milliseconds later, and a
 * closed lease keeps its slot from eviction for as long. Groups are per thread so that threads
 * reading at the same time never keep each other's slots held.
 */
final class CxlLeaseGroups {
  /** Leases one group takes before the next lease starts a new one. */
  static final int SIZE = 64;
  /** How long a group with no open lease stays joinable. */
  static final long IDLE_MILLIS = 2;
  /** The longest a caller waits for other threads' arena closes in {@link #retireIdleAndWait}. */
  static final long CLOSE_WAIT_NANOS = 100_000_000;

  private final CxlSlotTable slotTable;
  private final CxlHolds holds;
  private final CxlAllocator allocator;
  private final CxlGuard guard;
  private final Runnable ended;
  private final Runnable idleStarted;
  private final Consumer<Group> onClose = this::closed;
  /** Per thread, the group its next lease joins if that group is still joinable. */
  private final ThreadLocal<Group> current = new ThreadLocal<>();
  /** Groups whose arena is open. */
  private final Set<Group> live = ConcurrentHashMap.newKeySet();
  /** Joinable groups with no open lease. */
  private final AtomicInteger idle = new AtomicInteger();
  /** Groups retired with no open lease whose arena some thread is closing now. */
  private final AtomicInteger closing = new AtomicInteger();

  /** Leases sharing one arena. */
  static final class Group {
    final RefCountedArena arena;
    /** Slots of the group's leases, one per lease; complete once the arena is closed. */
    final int[] slots = new int[SIZE];
    /** Guarded by the group: leases taken, leases open, whether leases may still join, since when idle. */
    int taken;
    int open;
    boolean joinable = true;
    long idleSince;
    /** Whether the group was retired with no open lease, so its arena is closing now ({@link #closing}). */
    boolean closingNow;

    private Group(Consumer<Group> onClose) {
      this.arena = new RefCountedArena(() -> onClose.accept(this));
    }
  }

  /**
   * @param ended told, once per group, after its arena closed and its slots were let go
   * @param idleStarted told when a group becomes idle, so that a later {@link #retireIdle} runs
   */
  CxlLeaseGroups(CxlSlotTable slotTable, CxlHolds holds, CxlAllocator allocator, CxlGuard guard, Runnable ended,
      Runnable idleStarted) {
    this.slotTable = slotTable;
    this.holds = holds;
    this.allocator = allocator;
    this.guard = guard;
    this.ended = ended;
    this.idleStarted = idleStarted;
  }

  /**
   * Adds a lease of slot {@code s} (which the caller holds) to the current group and returns the
   * group; {@code started} is told of a new group before anything joins it.
   */
  Group join(int s, Runnable started) {
    Group g = current.get();
    if (g != null) {
      synchronized (g) {
        if (g.joinable) {
          if (g.open == 0) {
            idle.decrementAndGet();
          }
          return add(g, s);
        }
      }
    }
    started.run();
    g = new Group(onClose);
    synchronized (g) {
      add(g, s);
    }
    live.add(g); // only now: retireIdle must never see a new group before its first lease
    current.set(g);
    return g;
  }

  /** Adds a lease of slot {@code s} to {@code g}, which is joinable and locked. */
  private Group add(Group g, int s) {
    g.arena.acquire(); // cannot fail: a joinable group holds a reference of its own
    g.slots[g.taken++] = s;
    g.open++;
    if (g.taken == SIZE) {
      g.joinable = false;
      g.arena.release(); // the group's own reference; the new lease still holds one
    }
    return g;
  }

  /** A view of {@code segment}'s memory that faults once {@code g}'s arena closes. */
  MemorySegment bind(Group g, MemorySegment segment) {
    return g.arena.bind(segment);
  }

  /** A lease of {@code g} was closed; called once per lease, with no lock held. */
  void leave(Group g) {
    boolean retire = false;
    boolean nowIdle = false;
    synchronized (g) {
      g.open--;
      if (g.open == 0 && g.joinable) {
        if (anySlotGone(g)) {
          g.joinable = false;
          g.closingNow = true;
          closing.incrementAndGet();
          retire = true;
        } else {
          g.idleSince = System.nanoTime();
          idle.incrementAndGet();
          nowIdle = true;
        }
      }
    }
    if (retire) {
      g.arena.release(); // the group's own reference
    }
    g.arena.release();
    if (nowIdle) {
      idleStarted.run();
    }
  }

  private boolean anySlotGone(Group g) {
    for (int i = 0; i < g.taken; i++) {
      if (!CxlLayout.isVisible(slotTable.state(g.slots[i]))) {
        return true;
      }
    }
    return false;
  }

  /** Whether some joinable group has no open lease. */
  boolean hasIdle() {
    return idle.get() > 0;
  }

  /**
   * Stops every group that has had no open lease for at least {@code minIdleNanos} taking leases,
   * closing its arena and letting its slots go; call with no lock held. Returns whether groups
   * that are idle but younger remain.
   */
  boolean retireIdle(long minIdleNanos) {
    if (idle.get() == 0) {
      return false;
    }
    long now = System.nanoTime();
    List<Group> retired = new ArrayList<>();
    boolean younger = false;
    for (Group g : live) {
      synchronized (g) {
        if (g.joinable && g.open == 0) {
          if (now - g.idleSince >= minIdleNanos) {
            g.joinable = false;
            g.closingNow = true;
            closing.incrementAndGet();
            idle.decrementAndGet();
            retired.add(g);
          } else {
            younger = true;
          }
        }
      }
    }
    for (Group g : retired) {
      g.arena.release(); // the group's own reference: the last one, so the arena closes
    }
    return younger;
  }

  /**
   * Retires every idle group ({@link #retireIdle} with no delay) and waits, up to {@code
   * maxWaitNanos}, until the arenas that any thread is closing for groups retired idle are closed
   * and their slots let go: for a caller that is about to need those slots' room. Call with no lock
   * held.
   */
  void retireIdleAndWait(long maxWaitNanos) {
    retireIdle(0);
    long deadline = System.nanoTime() + maxWaitNanos;
    while (closing.get() > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(10_000);
    }
  }

  /** {@code g}'s arena closed: no view of its slots works any more, so their holds go. */
  private void closed(Group g) {
    try {
      live.remove(g);
      boolean retired = false;
      for (int i = 0; i < g.taken; i++) {
        holds.unhold(g.slots[i]);
        retired |= slotTable.state(g.slots[i]) == CxlLayout.RETIRED;
      }
      if (retired) {
        guard.run(() -> {
          for (int i = 0; i < g.taken; i++) {
            allocator.freeIfRetiredAndUnheldLocked(g.slots[i]);
          }
        });
      }
    } finally {
      if (g.closingNow) {
        closing.decrementAndGet();
      }
      ended.run();
    }
  }
}
