package io.stratacache.backend.cpu;

import io.stratacache.core.ArtifactId;
import io.stratacache.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Slab space of a {@link CpuLayer} that the caller fills in place; {@link #commit()} publishes it
 * without a copy. May be filled, committed and closed from any thread.
 */
final class CpuReservation implements Reservation {
  private static final int OPEN = 0;
  private static final int COMMITTED = 1;
  private static final int DISCARDED = 2;

  private final CpuLayer layer;
  private final CpuLayer.Entry entry;
  private final MemorySegment space;
  private final AtomicInteger state = new AtomicInteger(OPEN);

  CpuReservation(CpuLayer layer, CpuLayer.Entry entry, MemorySegment space) {
    this.layer = layer;
    this.entry = entry;
    this.space = space;
  }

  @Override
  public ArtifactId id() {
    return entry.id;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalStateException if already committed or closed
   */
  @Override
  public MemorySegment segment() {
    if (state.get() != OPEN) {
      throw done();
    }
    return space;
  }

  @Override
  public void commit() {
    if (!state.compareAndSet(OPEN, COMMITTED)) {
      throw done();
    }
    boolean published = false;
    try {
      layer.publish(entry);
      published = true;
    } finally {
      if (!published) {
        layer.abandon(entry);
      }
    }
  }

  @Override
  public void close() {
    if (state.compareAndSet(OPEN, DISCARDED)) {
      layer.abandon(entry);
    }
  }

  private IllegalStateException done() {
    return new IllegalStateException(
        "reservation for " + entry.id + " in tier '" + layer.name() + "' is already "
            + (state.get() == COMMITTED ? "committed" : "closed") + " (expected: an open reservation)");
  }
}
