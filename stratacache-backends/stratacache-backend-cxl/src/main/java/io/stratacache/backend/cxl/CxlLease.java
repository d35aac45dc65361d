package io.stratacache.backend.cxl;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.spi.ArenaScopedLease;
import java.lang.foreign.MemorySegment;

/**
 * A zero-copy, read-only view of a record's payload in the region, bound to the arena of the
 * lease's {@linkplain CxlLeaseGroups group}: once that arena closes the view fails on access
 * instead of reading the slot's next occupant, and the slot is not reused before. While open, the
 * lease holds its slot (see {@link CxlHolds}).
 */
final class CxlLease extends ArenaScopedLease {
  private final CxlLayer layer;
  private final CxlLeaseGroups.Group group;

  CxlLease(CxlLayer layer, ArtifactId id, ArtifactMeta meta, CxlLeaseGroups.Group group, MemorySegment view) {
    super(id, layer.name(), meta, view);
    this.layer = layer;
    this.group = group;
  }

  @Override
  protected void release() {
    layer.release(group);
  }
}
