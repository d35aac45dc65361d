package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LeaseClosedException;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A lease on a record file's shared read-only {@linkplain SsdLayer.Mapping mapping}: a view of the
 * payload in an arena of the lease's own, so a segment kept past {@link #close()} fails on access
 * instead of reading anything else, while the mapping stays for other leases and later loads.
 */
final class SsdLease implements Lease {
  private final SsdLayer layer;
  private final SsdLayer.Entry entry;
  private final SsdLayer.Mapping mapping;
  private final ArtifactMeta meta;
  private final MemorySegment payload;
  private final Arena arena = Arena.ofShared();
  private final AtomicBoolean open = new AtomicBoolean(true);

  // Restricted: reinterpret binds a view of the shared mapping to this lease's arena, which is what
  // makes use after close fail; native access is enabled for this module.
  @SuppressWarnings("restricted")
  SsdLease(SsdLayer layer, SsdLayer.Entry entry, SsdLayer.Mapping mapping) {
    this.layer = layer;
    this.entry = entry;
    this.mapping = mapping;
    this.meta = mapping.header.meta();
    this.payload = mapping.payload.reinterpret(arena, null).asReadOnly();
  }

  @Override
  public ArtifactId id() {
    return entry.id;
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
        layer.release(entry, mapping);
      }
    }
  }

  private void checkOpen() {
    if (!open.get()) {
      throw closedError(null);
    }
  }

  private LeaseClosedException closedError(Throwable cause) {
    return new LeaseClosedException("lease on " + entry.id + " from tier '" + layer.name() + "' is closed", cause);
  }
}
