package io.stratacache.backend.cxl;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.spi.ArenaScopedLease;

/**
 * A zero-copy, read-only view of a record's payload in the region, bound to an arena of the
 * lease's own: after {@link #close()} the view fails on access instead of reading the slot's next
 * occupant. While open, the lease holds its slot (see {@link CxlLayer}).
 */
final class CxlLease extends ArenaScopedLease {
  private final CxlLayer layer;
  private final int slot;

  CxlLease(CxlLayer layer, ArtifactId id, ArtifactMeta meta, int slot, long payloadAt, long size) {
    super(id, layer.name(), meta, arena -> layer.view(payloadAt, size, arena));
    this.layer = layer;
    this.slot = slot;
    layer.leaseOpened();
  }

  @Override
  protected void release() {
    layer.release(slot);
  }
}
