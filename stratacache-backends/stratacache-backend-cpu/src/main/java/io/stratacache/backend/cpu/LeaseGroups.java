package io.stratacache.backend.cpu;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The {@link LeaseGroup}s of one {@link CpuLayer}: which group a new lease joins, when a group
 * stops taking leases, and what happens when its arena closes. Methods ending in {@code Locked}
 * run under the layer's lock; {@link #drain()} runs without it, since the last release of a group
 * closes its arena (a handshake with every thread) and then takes the lock to drop the group's
 * references on its entries.
 */
final class LeaseGroups {
  private final ReentrantLock lock;
  private final Consumer<CpuLayer.Entry> releaseLocked;
  /** Groups that stopped taking leases, whose own reference is still to be given back. */
  private final ConcurrentLinkedQueue<LeaseGroup> retiring = new ConcurrentLinkedQueue<>();
  /** Guarded by the lock: the group new leases join, or null. */
  private LeaseGroup current;
  /** Guarded by the lock: groups whose arena is open. */
  private final Set<LeaseGroup> open = Collections.newSetFromMap(new IdentityHashMap<>());

  /**
   * @param lock the layer's lock
   * @param releaseLocked drops one reference on an entry's block; called under the lock
   */
  LeaseGroups(ReentrantLock lock, Consumer<CpuLayer.Entry> releaseLocked) {
    this.lock = lock;
    this.releaseLocked = releaseLocked;
  }

  /**
   * Adds a lease on {@code e} to the current group (starting one if there is none) and returns
   * the group; the caller takes the reference on {@code e} that the group drops when it closes.
   */
  LeaseGroup joinLocked(CpuLayer.Entry e) {
    LeaseGroup g = current;
    if (g == null) {
      g = new LeaseGroup(this::closed);
      current = g;
      open.add(g);
    }
    g.arena.acquire(); // cannot fail: the current group holds a reference of its own
    g.entries.add(e);
    e.group = g;
    return g;
  }

  /** Stops the current group taking leases once it has {@link LeaseGroup#SIZE}. */
  void endFullLocked() {
    if (current != null && current.entries.size() >= LeaseGroup.SIZE) {
      retireLocked(current);
    }
  }

  /** {@code e} left the index: the group still taking leases must not hold its block back. */
  void leftIndexLocked(CpuLayer.Entry e) {
    if (e.group != null && e.group == current) {
      retireLocked(current);
    }
  }

  private void retireLocked(LeaseGroup g) {
    if (g.current) {
      g.current = false;
      if (current == g) {
        current = null;
      }
      retiring.add(g);
    }
  }

  /** Gives back the own reference of groups that stopped taking leases; no lock held. */
  void drain() {
    for (LeaseGroup g; (g = retiring.poll()) != null; ) {
      g.arena.release();
    }
  }

  /** The layer closes: every open group, to be closed at once by the caller. */
  List<LeaseGroup> closeAllLocked() {
    List<LeaseGroup> all = new ArrayList<>(open);
    open.clear();
    current = null;
    retiring.clear();
    return all;
  }

  /** A group's arena closed: its views fault from now on, so its entries' blocks may be reused. */
  private void closed(LeaseGroup g) {
    lock.lock();
    try {
      if (open.remove(g)) {
        for (CpuLayer.Entry e : g.entries) {
          releaseLocked.accept(e);
        }
      }
    } finally {
      lock.unlock();
    }
  }
}
