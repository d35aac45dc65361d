package io.stratacache.engine;

import io.stratacache.spi.LayerStats;
import java.util.List;

/**
 * A snapshot of the engine's counters.
 *
 * @param tiers each tier's layer counters, head first
 * @param hitsPerTier loads served by each tier, head first
 * @param misses loads no tier could serve
 * @param promotions copies of lower-tier hits into upper tiers
 * @param demotions evicted artifacts written into the next tier because no lower tier held them
 * @param evictionWrites dirty artifacts written down because they were evicted before a flush
 * @param refusedEvictions evictions refused (artifact busy, or writing it down failed)
 * @param dirtyArtifacts artifacts waiting for write-back, over all links
 * @param dirtyBytes their bytes
 * @param flushed artifacts written down by the write-back worker
 * @param flushErrors failed write-back attempts (each retried)
 * @param failedPromotions promotions that failed for a reason other than a full tier (the load
 *     was served by the lower tier all the same)
 * @param skippedUnavailable loads, stores, lookups and demotions that passed over a tier which
 *     was unavailable (a remote tier that is down): a load falls through to the next tier or a
 *     miss, a store is kept by the tiers that took it
 * @param aheadEvictions artifacts the engine's maintenance evicted ahead of demand from tiers over
 *     their high watermark (each written down first if dirty or held by no lower tier)
 * @param deferredAdmissions writes down a link skipped because the artifact had not reached the
 *     link's {@code admit_after} uses
 * @param droppedUnadmitted evicted artifacts dropped instead of demoted because they had not
 *     reached the {@code admit_after} uses of the link below
 */
public record EngineStats(
    List<LayerStats> tiers,
    List<Long> hitsPerTier,
    long misses,
    long promotions,
    long demotions,
    long evictionWrites,
    long refusedEvictions,
    long dirtyArtifacts,
    long dirtyBytes,
    long flushed,
    long flushErrors,
    long failedPromotions,
    long skippedUnavailable,
    long aheadEvictions,
    long deferredAdmissions,
    long droppedUnadmitted) {
  public EngineStats {
    tiers = List.copyOf(tiers);
    hitsPerTier = List.copyOf(hitsPerTier);
  }

  /** The stats of the tier called {@code name}. */
  public LayerStats tier(String name) {
    for (LayerStats s : tiers) {
      if (s.tier().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("tier \"" + name + "\" (expected one of " + tiers.stream().map(LayerStats::tier).toList() + ")");
  }
}
