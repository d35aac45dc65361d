package io.stratacache.backend.cxl;

import io.stratacache.spi.RefCountedArena;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * The arenas that lease views of one layer live in: leases that one thread takes while its earlier
 * ones are open join one {@link RefCountedArena}, up to {@value #SIZE} per group, so that a prefix
 * of many chunks leased together and released together pays one arena close per group instead of
 * one per lease.
 *
 * <p>Design: a group is joined by the thread that started it only, and holds one reference of its
 * own while it may be joined, plus one per open lease. It stops taking leases when it has taken
 * {@value #SIZE}, or as soon as it has no open lease (so an idle group never keeps slots held);
 * its own reference is then given back, and the last release closes the arena. Each lease's slot
 * stays held ({@link CxlHolds}) until its group's arena closes, since until then a segment kept
 * past the lease's close still reads the slot; so no process frees or reuses the slot while any
 * view of it works. The price: a slot whose lease is closed stays held, and not evictable, while
 * leases the same thread took with it are open. Groups are per thread so that threads reading at
 * the same time never keep each other's slots held.
 *
 * <p>Closing a shared arena is a handshake with every thread (about 20 µs here, whatever its
 * size), against about a microsecond for the rest of a lease of a small artifact.
 */
final class CxlLeaseGroups {
  /** Leases one group takes before the next lease starts a new one. */
  static final int SIZE = 64;

  private final CxlSlotTable slotTable;
  private final CxlHolds holds;
  private final CxlAllocator allocator;
  private final CxlGuard guard;
  private final Runnable ended;
  private final Consumer<Group> onClose = this::closed;
  /** Per thread, the group its next lease joins if that group is still joinable. */
  private final ThreadLocal<Group> current = new ThreadLocal<>();

  /** Leases sharing one arena. */
  static final class Group {
    final RefCountedArena arena;
    /** Slots of the group's leases, one per lease; complete once the arena is closed. */
    final int[] slots = new int[SIZE];
    /** Guarded by the group: leases taken, leases open, and whether leases may still join. */
    int taken;
    int open;
    boolean joinable = true;

    private Group(Consumer<Group> onClose) {
      this.arena = new RefCountedArena(() -> onClose.accept(this));
    }
  }

  /**
   * @param ended told, once per group, after its arena closed and its slots were let go
   */
  CxlLeaseGroups(CxlSlotTable slotTable, CxlHolds holds, CxlAllocator allocator, CxlGuard guard, Runnable ended) {
    this.slotTable = slotTable;
    this.holds = holds;
    this.allocator = allocator;
    this.guard = guard;
    this.ended = ended;
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
          return add(g, s);
        }
      }
    }
    started.run();
    g = new Group(onClose);
    current.set(g);
    synchronized (g) {
      return add(g, s);
    }
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
    boolean idle;
    synchronized (g) {
      g.open--;
      idle = g.open == 0 && g.joinable;
      if (idle) {
        g.joinable = false;
      }
    }
    if (idle) {
      if (current.get() == g) {
        current.remove();
      }
      g.arena.release(); // the group's own reference
    }
    g.arena.release();
  }

  /** {@code g}'s arena closed: no view of its slots works any more, so their holds go. */
  private void closed(Group g) {
    try {
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
      ended.run();
    }
  }
}
