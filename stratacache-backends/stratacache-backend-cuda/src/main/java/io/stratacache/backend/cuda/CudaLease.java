package io.stratacache.backend.cuda;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LeaseClosedException;
import io.stratacache.spi.DeviceLease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A lease on an artifact in GPU memory: its device address, size and device ordinal, valid until
 * the lease is closed; and, when first asked for, a host copy of its bytes in an arena of the
 * lease's own, closed with it (so a host view kept past the close faults).
 */
final class CudaLease implements DeviceLease {
  private final CudaLayer layer;
  private final CudaLayer.Entry entry;
  private final AtomicBoolean open = new AtomicBoolean(true);
  private Arena arena;
  private MemorySegment host;

  CudaLease(CudaLayer layer, CudaLayer.Entry entry) {
    this.layer = layer;
    this.entry = entry;
  }

  private void ensureOpen() {
    if (!open.get()) {
      throw new LeaseClosedException("lease on " + entry.id + " from tier '" + layer.name() + "' is closed");
    }
  }

  @Override
  public ArtifactId id() {
    return entry.id;
  }

  @Override
  public ArtifactMeta meta() {
    ensureOpen();
    return entry.meta;
  }

  @Override
  public String tier() {
    return layer.name();
  }

  /** {@inheritDoc} The first call copies the bytes from the device. */
  @Override
  public synchronized MemorySegment segment() {
    ensureOpen();
    if (host == null) {
      Arena a = Arena.ofShared();
      boolean success = false;
      try {
        MemorySegment copy = a.allocate(Math.max(1, entry.size), 64).asSlice(0, entry.size);
        layer.copyOut(entry, copy);
        arena = a;
        host = copy.asReadOnly();
        success = true;
      } finally {
        if (!success) {
          a.close();
        }
      }
    }
    return host;
  }

  /** Copies straight from the device into {@code dst}, without a host view. */
  @Override
  public void copyTo(MemorySegment dst) {
    ensureOpen();
    if (dst.byteSize() < entry.size) {
      throw new IndexOutOfBoundsException("dst: " + dst.byteSize() + " bytes (expected: at least " + entry.size + ")");
    }
    layer.copyOut(entry, dst.asSlice(0, entry.size));
  }

  @Override
  public long size() {
    return entry.size;
  }

  @Override
  public boolean isOpen() {
    return open.get();
  }

  @Override
  public long deviceAddress() {
    ensureOpen();
    return layer.deviceAddress(entry);
  }

  @Override
  public int deviceOrdinal() {
    return layer.deviceOrdinal();
  }

  @Override
  public void close() {
    if (!open.compareAndSet(true, false)) {
      return;
    }
    synchronized (this) {
      if (arena != null) {
        arena.close();
        arena = null;
      }
    }
    layer.release(entry);
  }

  @Override
  public String toString() {
    return "CudaLease[" + entry.id + ", " + entry.size + " bytes on device " + layer.deviceOrdinal() + "]";
  }
}
