package io.stratacache.params;

/**
 * Counters of a {@link Prefetcher}.
 *
 * @param groupsLoaded groups (layers) staged
 * @param bytesLoaded bytes copied from the plane into staging
 * @param loadNanos time spent copying tensors into staging, summed over tensors (by the loader
 *     thread and by callers alike)
 * @param waitNanos time callers spent in {@code await}: copying the part of a group the loader had
 *     not started, and waiting for the part it was copying
 * @param tensorsByCaller tensors that an awaiting caller copied itself because the loader had not
 *     claimed them yet (0 when the loader always runs ahead; all of them with depth 0)
 */
public record PrefetchStats(long groupsLoaded, long bytesLoaded, long loadNanos, long waitNanos, long tensorsByCaller) {}
