package io.stratacache.config;

/**
 * How the chain moves artifacts between tiers.
 *
 * @param promoteOnHit copy a hit in a lower tier into the tiers above it on load
 * @param demoteOnEvict write an evicted artifact that no lower tier holds into the next tier
 *     before its space is reused; {@code false} drops it (dirty artifacts are always written down)
 */
public record ChainConfig(boolean promoteOnHit, boolean demoteOnEvict) {
  public static final ChainConfig DEFAULTS = new ChainConfig(true, true);
}
