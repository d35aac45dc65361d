package io.stratacache.spi;

/**
 * A snapshot of a layer's counters.
 *
 * @param tier tier name
 * @param capacityBytes bytes the tier may hold
 * @param usedBytes bytes held by stored artifacts (payload and any per-artifact overhead the
 *     layer allocates)
 * @param artifacts artifacts stored
 * @param openLeases leases not yet closed
 * @param pinned artifacts pinned
 * @param hits loads that found the artifact
 * @param misses loads that did not
 * @param puts artifacts stored
 * @param evictions artifacts evicted to make room
 * @param rejected stores refused for lack of space
 * @param corrupt records found invalid and treated as absent
 */
public record LayerStats(
    String tier,
    long capacityBytes,
    long usedBytes,
    long artifacts,
    long openLeases,
    long pinned,
    long hits,
    long misses,
    long puts,
    long evictions,
    long rejected,
    long corrupt) {}
