package io.stratacache.kv;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A snapshot of a {@link KvPrefixCache}'s counters since it was built.
 *
 * @param lookups prefix lookups (leasing or not)
 * @param promptTokens tokens of the prompts looked up
 * @param hitTokens tokens found as a cached prefix
 * @param hitTokensByTier hit tokens by the tier that held them, in chain order
 * @param hitTokensByMedium hit tokens by the tier's medium
 * @param storeRequests store calls
 * @param storedChunks chunks written
 * @param storedBytes payload bytes written
 * @param dedupedChunks chunks a store skipped because they were already stored (or being stored)
 * @param refusedStores chunks the engine refused (no room); each ends its store call
 * @param retrieveRequests retrieve calls (plain, leased and layer-wise)
 * @param loadedTokens tokens scattered into the pages
 * @param loadedChunks chunks scattered
 * @param loadedBytes payload bytes scattered
 * @param missingChunks retrieves that stopped at a chunk no tier held
 * @param corruptChunks chunks found with the wrong type, shape, dtype or size, never scattered
 * @param leasedPrefixes prefixes leased by a lookup
 * @param expiredLeases leased prefixes released by their timeout rather than by a retrieve or a release
 * @param removedChunks chunks this cache deleted
 */
public record KvStats(
    long lookups,
    long promptTokens,
    long hitTokens,
    Map<String, Long> hitTokensByTier,
    Map<KvMedium, Long> hitTokensByMedium,
    long storeRequests,
    long storedChunks,
    long storedBytes,
    long dedupedChunks,
    long refusedStores,
    long retrieveRequests,
    long loadedTokens,
    long loadedChunks,
    long loadedBytes,
    long missingChunks,
    long corruptChunks,
    long leasedPrefixes,
    long expiredLeases,
    long removedChunks) {
  public KvStats {
    hitTokensByTier = Collections.unmodifiableMap(new LinkedHashMap<>(hitTokensByTier));
    EnumMap<KvMedium, Long> byMedium = new EnumMap<>(KvMedium.class);
    byMedium.putAll(hitTokensByMedium);
    hitTokensByMedium = Collections.unmodifiableMap(byMedium);
  }

  /** Cumulative hit rate: {@code hitTokens / promptTokens}, 0 before the first lookup. */
  public double hitRate() {
    return promptTokens == 0 ? 0.0 : (double) hitTokens / promptTokens;
  }
}
