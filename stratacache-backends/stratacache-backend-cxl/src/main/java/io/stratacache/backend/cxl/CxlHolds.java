package io.stratacache.backend.cxl;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.LayerUnavailableException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which processes map the region, and which slots each of them holds (leases or pins), so that no
 * process evicts or reuses a slot that another still reads.
 *
 * <p>Design: each attached process has an entry in the region's process table ({@code pid << 32 |
 * nonce}) and a bitmap of slots in the region; bit {@code s} is set while the process holds slot
 * {@code s} at least once. Within the process, a count per slot (guarded by one of {@value
 * #STRIPES} stripes) decides when the bit changes, so a thousand leases of one slot set it once.
 * A reader sets its bit before re-checking the slot, and a retirer marks the slot before reading
 * the bits, each with a full fence (an atomic OR or AND), so one of them always sees the other.
 * Holds of a process that died are ignored and cleared when its entry is reclaimed.
 *
 * <p>Pins are this process's named holds: a count per id and the slot the pin holds; they are
 * guarded by the layer's process mutex ({@link CxlGuard}).
 */
final class CxlHolds {
  static final int STRIPES = 64;

  private final CxlRegion region;
  private final CxlLayout.Geometry g;
  private final long me;
  private final int myProcess;
  /** Per slot, this process's leases and pins on it; guarded by the slot's stripe. */
  private final int[] counts;
  private final Object[] stripes = new Object[STRIPES];
  /** Guarded by the process mutex: this process's pins, by id. */
  private final Map<ArtifactId, Pin> pins = new HashMap<>();

  private static final class Pin {
    int count = 1;
    int slot;

    Pin(int slot) {
      this.slot = slot;
    }
  }

  private CxlHolds(CxlRegion region, CxlLayout.Geometry g, long me, int myProcess) {
    this.region = region;
    this.g = g;
    this.me = me;
    this.myProcess = myProcess;
    this.counts = new int[g.slotCount()];
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Object();
    }
  }

  /**
   * Enters this process ({@code me}) in the first free or dead entry of the process table, under
   * the region lock.
   *
   * @throws LayerUnavailableException if every entry belongs to a live process
   */
  static CxlHolds attach(CxlRegion region, CxlLayout.Geometry g, long me, String where, String tier,
      boolean exclusive) {
    long holder = region.getVolatile(CxlLayout.EXCLUSIVE_OFFSET);
    if (holder != 0 && CxlRegionLock.isAlive(CxlRegionLock.ownerPid(holder))) {
      throw new LayerUnavailableException(
          where + ": region " + region.path() + " is open exclusively by process " + CxlRegionLock.ownerPid(holder)
              + " (a check or repair; expected: no exclusive holder; open it again once that process is done)");
    }
    if (exclusive) {
      List<Integer> others = new ArrayList<>();
      for (int p = 0; p < g.maxProcesses(); p++) {
        long w = region.getVolatile(g.process(p) + CxlLayout.PROCESS_WORD);
        if (w != 0 && CxlRegionLock.isAlive(CxlRegionLock.ownerPid(w))) {
          others.add(CxlRegionLock.ownerPid(w));
        }
      }
      if (!others.isEmpty()) {
        throw new LayerUnavailableException(
            where + ": region " + region.path() + " is held by process" + (others.size() == 1 ? " " : "es ") + others
                + " (expected: no other process for an exclusive open such as a check or repair; stop "
                + (others.size() == 1 ? "it" : "them") + " first)");
      }
      region.setVolatile(CxlLayout.EXCLUSIVE_OFFSET, me);
    } else if (holder != 0) {
      region.setVolatile(CxlLayout.EXCLUSIVE_OFFSET, 0); // the exclusive holder is gone
    }
    for (int p = 0; p < g.maxProcesses(); p++) {
      long off = g.process(p);
      long w = region.getVolatile(off + CxlLayout.PROCESS_WORD);
      if (w == 0 || !CxlRegionLock.isAlive(CxlRegionLock.ownerPid(w))) {
        CxlHolds holds = new CxlHolds(region, g, me, p);
        holds.clear(p);
        region.setLong(off + CxlLayout.PROCESS_ATTACHED, System.currentTimeMillis());
        region.setVolatile(off + CxlLayout.PROCESS_WORD, me);
        return holds;
      }
    }
    throw new LayerUnavailableException(
        where + ": region " + region.path() + " is mapped by " + g.maxProcesses() + " live processes (expected: at most"
            + " tiers." + tier + ".max_processes - 1 others; format with a larger max_processes and reset_metadata)");
  }

  /** Whether a live process other than this one has an entry in a formatted region's process table. */
  static boolean anotherLiveProcess(CxlRegion region) {
    int processes = region.getInt(CxlLayout.MAX_PROCESSES_OFFSET);
    for (int p = 0; p < processes; p++) {
      long w = CxlLayout.processWord(region.segment(), p);
      if (w != 0 && CxlRegionLock.isAlive(CxlRegionLock.ownerPid(w))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The pids of the live processes other than this one that have the region open, in its process
   * table; under the region lock.
   */
  List<Integer> otherLivePidsLocked() {
    List<Integer> pids = new ArrayList<>();
    for (int p = 0; p < g.maxProcesses(); p++) {
      long w = region.getVolatile(g.process(p) + CxlLayout.PROCESS_WORD);
      if (w != 0 && w != me && CxlRegionLock.isAlive(CxlRegionLock.ownerPid(w))) {
        pids.add(CxlRegionLock.ownerPid(w));
      }
    }
    return pids;
  }

  /** This process's word in the process table (and in the slots it writes or evicts). */
  long me() {
    return me;
  }

  /**
   * Clears the entries and holds of dead processes, under the region lock; returns the words of
   * the live ones, this process's included.
   */
  Set<Long> reapDeadLocked() {
    Set<Long> live = new HashSet<>();
    for (int p = 0; p < g.maxProcesses(); p++) {
      long off = g.process(p);
      long w = region.getVolatile(off + CxlLayout.PROCESS_WORD);
      if (w == me || (w != 0 && CxlRegionLock.isAlive(CxlRegionLock.ownerPid(w)))) {
        live.add(w);
      } else if (w != 0) {
        clear(p);
        region.setVolatile(off + CxlLayout.PROCESS_WORD, 0);
      }
    }
    return live;
  }

  /** Leaves the process table, dropping every hold of this process; under the region lock. */
  void detachLocked() {
    region.compareAndSet(CxlLayout.EXCLUSIVE_OFFSET, me, 0);
    clear(myProcess);
    region.setVolatile(g.process(myProcess) + CxlLayout.PROCESS_WORD, 0);
  }

  private void clear(int p) {
    region.segment().asSlice(g.holdWord(p, 0), g.holdWordCount() * 8).fill((byte) 0);
  }

  private Object stripe(int s) {
    return stripes[s & (STRIPES - 1)];
  }

  /** Takes one hold of slot {@code s} for this process. */
  void hold(int s) {
    synchronized (stripe(s)) {
      if (counts[s]++ == 0) {
        region.getAndOr(g.holdWord(myProcess, s), 1L << (s & 63));
      }
    }
  }

  /** Gives back one hold of slot {@code s}. */
  void unhold(int s) {
    synchronized (stripe(s)) {
      if (--counts[s] == 0) {
        region.getAndAnd(g.holdWord(myProcess, s), ~(1L << (s & 63)));
      }
    }
  }

  /** Whether any live process (this one included) leases or pins slot {@code s}. */
  boolean heldAnywhere(int s) {
    long bit = 1L << (s & 63);
    for (int p = 0; p < g.maxProcesses(); p++) {
      if ((region.getVolatile(g.holdWord(p, s)) & bit) == 0) {
        continue;
      }
      if (p == myProcess || isLive(p)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether any live process holds slot {@code s}, not counting {@code ownHolds} holds of this
   * process (those an eviction in progress takes).
   */
  boolean heldAnywhereBesides(int s, int ownHolds) {
    synchronized (stripe(s)) {
      if (counts[s] > ownHolds) {
        return true;
      }
    }
    long bit = 1L << (s & 63);
    for (int p = 0; p < g.maxProcesses(); p++) {
      if (p != myProcess && (region.getVolatile(g.holdWord(p, s)) & bit) != 0 && isLive(p)) {
        return true;
      }
    }
    return false;
  }

  /** Bits set in every process's hold bitmap: slots held, counted once per holding process. */
  long heldBits() {
    long n = 0;
    for (int p = 0; p < g.maxProcesses(); p++) {
      for (long w = 0; w < g.holdWordCount(); w++) {
        n += Long.bitCount(region.getVolatile(g.holdWord(p, 0) + w * 8));
      }
    }
    return n;
  }

  private boolean isLive(int p) {
    long w = region.getVolatile(g.process(p) + CxlLayout.PROCESS_WORD);
    return w != 0 && CxlRegionLock.isAlive(CxlRegionLock.ownerPid(w));
  }

  // Pins: all under the process mutex.

  /** Counts one more pin on {@code id} if it is pinned already; false if it is not. */
  boolean repin(ArtifactId id) {
    Pin pin = pins.get(id);
    if (pin == null) {
      return false;
    }
    pin.count++;
    return true;
  }

  /** Records a first pin on {@code id}, whose slot {@code s} the caller already holds. */
  void addPin(ArtifactId id, int s) {
    pins.put(id, new Pin(s));
  }

  /**
   * Takes one pin off {@code id}: -2 if it was not pinned, -1 if pins remain, otherwise the slot
   * whose hold the last pin gave back.
   */
  int unpinOnce(ArtifactId id) {
    Pin pin = pins.get(id);
    if (pin == null) {
      return -2;
    }
    if (--pin.count > 0) {
      return -1;
    }
    pins.remove(id);
    unhold(pin.slot);
    return pin.slot;
  }

  /** Drops every pin on {@code id} and its hold; returns the slot it held, or -1 if none. */
  int dropPin(ArtifactId id) {
    Pin pin = pins.remove(id);
    if (pin == null) {
      return -1;
    }
    unhold(pin.slot);
    return pin.slot;
  }

  /** Moves {@code id}'s pin, if it holds slot {@code old}, to slot {@code s} (a new version stored here). */
  void movePin(ArtifactId id, int old, int s) {
    Pin pin = pins.get(id);
    if (pin != null && pin.slot == old) {
      hold(s);
      pin.slot = s;
      unhold(old);
    }
  }

  int pinCount() {
    return pins.size();
  }

  /** Drops every pin of this process; returns the slots they held. */
  List<Integer> dropAllPins() {
    List<Integer> slots = new ArrayList<>();
    for (Pin pin : pins.values()) {
      unhold(pin.slot);
      slots.add(pin.slot);
    }
    pins.clear();
    return slots;
  }
}
