package io.stratacache.params;

/**
 * Counters of a {@link Prefetcher}.
 *
 * @param groupsLoaded groups (layers) staged
 * @param bytesLoaded bytes copied from the plane into staging
 * @param loadNanos time spent copying tensors into staging, summed over tensors (by the loader
 *     thread and by callers alike)
 * @param waitNanos time callers spent in {@code await}, copying the part of a group the loader had
 *     not finished
 * @param tensorsByCaller tensor copies an awaiting caller made itself because the loader had not
 *     claimed the tensor yet, or had not finished copying it (0 when the loader always runs
 *     ahead; every tensor with depth 0)
 */
public record PrefetchStats(long groupsLoaded, long bytesLoaded, long loadNanos, long waitNanos, long tensorsByCaller) {}
