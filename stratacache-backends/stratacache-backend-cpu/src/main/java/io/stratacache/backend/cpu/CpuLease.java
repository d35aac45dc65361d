package io.stratacache.backend.cpu;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LeaseClosedException;
import io.stratacache.spi.Lease;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A lease on bytes in a {@link CpuLayer}'s slab: the only allocation of a load.
 *
 * <p>Trade-off: {@link #segment()} returns the entry's read-only view of the slab, shared by all
 * its leases, not a segment of an arena of the lease's own. Every accessor checks that the lease
 * is open, but a segment reference kept past {@link #close()} still reads the slab and may see the
 * bytes of a later artifact once the space is reused. Giving each lease its own shared {@link
 * java.lang.foreign.Arena} would make such a stale view fault, but closing a shared arena
 * synchronises with every thread of the JVM (a handshake): on JDK 25 that costs tens of
 * microseconds per close (see {@code CpuTierBenchmark.sharedArenaLease}), over a hundred times the
 * whole lease without it, and it grows with the number of threads. Callers must not use the segment
 * after closing the lease. When the layer itself closes, its slab's arena is closed, so even a
 * stale view faults instead of reading freed memory.
 */
final class CpuLease implements Lease {
  private static final VarHandle CLOSED;

  static {
    try {
      CLOSED = MethodHandles.lookup().findVarHandle(CpuLease.class, "closed", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final CpuLayer layer;
  private final CpuLayer.Entry entry;
  private volatile boolean closed;

  CpuLease(CpuLayer layer, CpuLayer.Entry entry) {
    this.layer = layer;
    this.entry = entry;
  }

  @Override
  public ArtifactId id() {
    return entry.id;
  }

  @Override
  public ArtifactMeta meta() {
    checkOpen();
    return entry.meta;
  }

  @Override
  public String tier() {
    return layer.name();
  }

  @Override
  public MemorySegment segment() {
    checkOpen();
    return entry.view;
  }

  @Override
  public long size() {
    return entry.size;
  }

  @Override
  public boolean isOpen() {
    return !closed && !layer.isClosed();
  }

  @Override
  public void copyTo(MemorySegment dst) {
    checkOpen();
    try {
      MemorySegment.copy(entry.view, 0, dst, 0, entry.size);
    } catch (IllegalStateException e) {
      if (layer.isClosed()) {
        throw new LeaseClosedException(
            "lease on " + entry.id + " in tier '" + layer.name() + "': the tier was closed during the copy", e);
      }
      throw e;
    }
  }

  @Override
  public void close() {
    if (CLOSED.compareAndSet(this, false, true)) {
      layer.release(entry);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new LeaseClosedException("lease on " + entry.id + " in tier '" + layer.name() + "' is closed");
    }
    if (layer.isClosed()) {
      throw new LeaseClosedException(
          "lease on " + entry.id + " in tier '" + layer.name() + "' ended when the tier was closed");
    }
  }

  @Override
  public String toString() {
    return "CpuLease[" + entry.id + " in " + layer.name() + ", " + entry.size + " bytes" + (isOpen() ? "" : ", closed") + "]";
  }
}
