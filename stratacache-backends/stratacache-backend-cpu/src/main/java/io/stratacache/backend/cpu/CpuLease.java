package io.stratacache.backend.cpu;

import io.stratacache.spi.ArenaScopedLease;

/**
 * A lease on bytes in a {@link CpuLayer}'s slab: a read-only view of the artifact's block bound to
 * the arena of its {@link LeaseGroup}, so that a view kept past {@link #close()} faults once the
 * group's arena closes instead of reading whatever reuses the block (until then it reads this
 * artifact's own bytes, which stay put). When the layer closes, open leases end and every group's
 * arena is closed with the slab.
 */
final class CpuLease extends ArenaScopedLease {
  private final CpuLayer layer;
  private final CpuLayer.Entry entry;
  private final LeaseGroup group;

  CpuLease(CpuLayer layer, CpuLayer.Entry entry, LeaseGroup group) {
    super(entry.id, layer.name(), entry.meta, group.arena.bind(entry.view));
    this.layer = layer;
    this.entry = entry;
    this.group = group;
  }

  @Override
  protected boolean ended() {
    return layer.isClosed();
  }

  @Override
  protected void release() {
    layer.release(entry, group);
  }
}
