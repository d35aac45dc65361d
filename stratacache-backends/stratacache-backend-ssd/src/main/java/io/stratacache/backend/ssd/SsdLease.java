package io.stratacache.backend.ssd;

import io.stratacache.spi.ArenaScopedLease;

/**
 * A lease on a record file's shared read-only {@linkplain SsdLayer.Mapping mapping}: a view of the
 * payload in an arena of the lease's own, so a segment kept past {@link #close()} fails on access
 * instead of reading anything else, while the mapping stays for other leases and later loads.
 */
final class SsdLease extends ArenaScopedLease {
  private final SsdLayer layer;
  private final SsdLayer.Entry entry;
  private final SsdLayer.Mapping mapping;

  // Restricted: reinterpret binds a view of the shared mapping to this lease's arena, which is what
  // makes use after close fail; native access is enabled for this module.
  @SuppressWarnings("restricted")
  SsdLease(SsdLayer layer, SsdLayer.Entry entry, SsdLayer.Mapping mapping) {
    super(entry.id, layer.name(), mapping.header.meta(), arena -> mapping.payload.reinterpret(arena, null));
    this.layer = layer;
    this.entry = entry;
    this.mapping = mapping;
  }

  @Override
  protected void release() {
    layer.release(entry, mapping);
  }
}
