package io.stratacache.kv;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How much of a prompt is cached as a contiguous prefix from its first token.
 *
 * @param promptTokens tokens in the prompt
 * @param hitTokens tokens of the cached prefix (0 to {@code promptTokens}); never a prefix with a hole
 * @param hitChunks chunks of the cached prefix
 * @param tokensByTier prefix tokens by the tier holding them, every tier of the chain in order
 *     (for a chunk stored layer by layer: the lowest tier holding one of its layers)
 * @param tokensByMedium prefix tokens by the medium of that tier
 */
public record KvLookupResult(
    int promptTokens, int hitTokens, int hitChunks, Map<String, Integer> tokensByTier, Map<KvMedium, Integer> tokensByMedium) {
  public KvLookupResult {
    tokensByTier = Collections.unmodifiableMap(new LinkedHashMap<>(tokensByTier));
    EnumMap<KvMedium, Integer> byMedium = new EnumMap<>(KvMedium.class);
    byMedium.putAll(tokensByMedium);
    tokensByMedium = Collections.unmodifiableMap(byMedium);
  }

  /** Prefix tokens held by tiers of {@code medium}. */
  public int tokens(KvMedium medium) {
    return tokensByMedium.getOrDefault(medium, 0);
  }

  /** Prefix tokens held by {@code tier}. */
  public int tokens(String tier) {
    return tokensByTier.getOrDefault(tier, 0);
  }

  /** Whether the whole prompt is cached. */
  public boolean fullHit() {
    return hitTokens == promptTokens;
  }
}
