package io.stratacache.params;

/**
 * Counters of a {@link Prefetcher}.
 *
 * @param groupsLoaded groups (layers) staged
 * @param bytesLoaded bytes copied from the plane into staging
 * @param loadNanos time spent loading, summed over groups
 * @param waitNanos time callers spent blocked in {@code await} for a group not yet staged
 */
public record PrefetchStats(long groupsLoaded, long bytesLoaded, long loadNanos, long waitNanos) {}
