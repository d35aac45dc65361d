package io.stratacache.backend.cxl;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LeaseClosedException;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A zero-copy, read-only view of a record's payload in the region, bound to an arena of the
 * lease's own: after {@link #close()} the view fails on access instead of reading the slot's next
 * occupant. While open, the lease holds its slot (see {@link CxlLayer}).
 */
final class CxlLease implements Lease {
  private final CxlLayer layer;
  private final ArtifactId id;
  private final ArtifactMeta meta;
  private final int slot;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment payload;
  private final AtomicBoolean open = new AtomicBoolean(true);

  CxlLease(CxlLayer layer, ArtifactId id, ArtifactMeta meta, int slot, long payloadAt, long size) {
    this.layer = layer;
    this.id = id;
    this.meta = meta;
    this.slot = slot;
    this.payload = layer.view(payloadAt, size, arena).asReadOnly();
    layer.leaseOpened();
  }

  @Override
  public ArtifactId id() {
    return id;
  }

  @Override
  public ArtifactMeta meta() {
    checkOpen();
    return meta;
  }

  @Override
  public String tier() {
    return layer.name();
  }

  @Override
  public MemorySegment segment() {
    checkOpen();
    return payload;
  }

  @Override
  public long size() {
    return payload.byteSize();
  }

  @Override
  public boolean isOpen() {
    return open.get();
  }

  @Override
  public void copyTo(MemorySegment dst) {
    checkOpen();
    try {
      MemorySegment.copy(payload, 0, dst, 0, payload.byteSize());
    } catch (IllegalStateException e) {
      if (!open.get()) {
        throw closedError(e);
      }
      throw e;
    }
  }

  @Override
  public void close() {
    if (open.compareAndSet(true, false)) {
      try {
        arena.close();
      } finally {
        layer.release(slot);
      }
    }
  }

  private void checkOpen() {
    if (!open.get()) {
      throw closedError(null);
    }
  }

  private LeaseClosedException closedError(Throwable cause) {
    return new LeaseClosedException("lease on " + id + " from tier '" + layer.name() + "' is closed", cause);
  }
}
