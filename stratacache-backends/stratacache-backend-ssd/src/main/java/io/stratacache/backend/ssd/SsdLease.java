package io.stratacache.backend.ssd;

import io.stratacache.spi.ArenaScopedLease;

/**
 * A lease on a record file's shared read-only {@linkplain SsdMappings.Mapping mapping}: its view is
 * the mapping's payload, which lives in the mapping's shared arena. Taking and closing a lease
 * costs no arena operation; a segment kept past {@link #close()} reads the record's own bytes until
 * the mapping is unmapped and faults from then on, never reading anything else.
 */
final class SsdLease extends ArenaScopedLease {
  private final SsdLayer layer;
  private final SsdLayer.Entry entry;
  private final SsdMappings.Mapping mapping;

  SsdLease(SsdLayer layer, SsdLayer.Entry entry, SsdMappings.Mapping mapping) {
    super(entry.id, layer.name(), mapping.header.meta(), mapping.payload);
    this.layer = layer;
    this.entry = entry;
    this.mapping = mapping;
  }

  @Override
  protected void release() {
    layer.release(entry, mapping);
  }
}
