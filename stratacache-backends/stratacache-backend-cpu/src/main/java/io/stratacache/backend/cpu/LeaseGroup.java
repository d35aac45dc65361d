package io.stratacache.backend.cpu;

import io.stratacache.spi.RefCountedArena;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Leases of a {@link CpuLayer} that share one {@link RefCountedArena}: one batch of {@link
 * CpuLayer#getAll}, or a single lease taken on its own ({@link #SIZE} is 1). The arena holds one
 * reference for the group while new leases may join it and one per open lease; when the last is
 * released the arena closes, so every view handed out in the group faults from then on, and only
 * then are the group's references on its entries dropped, letting their blocks be reused.
 *
 * <p>Why a group and not one arena per lease: closing a shared arena is a handshake with every
 * thread (about 20 µs here), against about 50 ns for the rest of a lease; a batch pays it once. A confined arena per lease would close cheaply but binds the
 * view to the thread that took the lease, and leases may be used and closed on any thread; an
 * automatic arena never faults, it only delays the reuse of the memory until the garbage collector
 * runs. The price of the group: a block whose artifact was deleted or evicted is reused only once
 * every lease of the groups that leased it is closed (the layer ends the current group as soon as
 * one of its artifacts leaves the index, so an idle group never holds memory back).
 */
final class LeaseGroup {
  /**
   * Leases taken one after another that share a group. One: grouping leases taken separately (64
   * were tried) keeps the blocks of closed leases from reuse until the last lease of their group
   * closes, and under eviction pressure with leases held across stores a store could then wait on
   * the make-room protocol for seconds holding its artifact's lock (the chain soak's flush
   * deadline caught it). Batches ({@link CpuLayer#getAll}) still share one arena.
   */
  static final int SIZE = 1;

  final RefCountedArena arena;
  /** Entries leased in this group, once per lease; guarded by the layer's lock. */
  final List<CpuLayer.Entry> entries = new ArrayList<>();
  /** Whether new leases may still join; guarded by the layer's lock. */
  boolean current = true;

  /** @param onClose told, once, after the group's arena closed */
  LeaseGroup(Consumer<LeaseGroup> onClose) {
    this.arena = new RefCountedArena(() -> onClose.accept(this));
  }
}
