package io.stratacache.config;

import java.util.List;
import java.util.Objects;

/**
 * A whole configuration, immutable. Built from YAML by {@code ConfigLoader} (which also maps the
 * original StrataCache's flat keys) or by {@link #builder()}; both check it the same way.
 *
 * @param tiers the chain, head first
 * @param links one link per adjacent pair of tiers, in order
 * @param chain promotion and demotion
 * @param writeback the write-back worker
 * @param kv the KV adapter's settings
 * @param logging statistics logging
 * @param source where it came from, for messages (a file name, {@code defaults} or {@code builder})
 */
public record StrataConfig(
    List<TierConfig> tiers,
    List<LinkConfig> links,
    ChainConfig chain,
    WritebackConfig writeback,
    KvConfig kv,
    LoggingConfig logging,
    String source) {
  public StrataConfig {
    tiers = List.copyOf(tiers);
    links = List.copyOf(links);
    Objects.requireNonNull(chain, "chain");
    Objects.requireNonNull(writeback, "writeback");
    Objects.requireNonNull(kv, "kv");
    Objects.requireNonNull(logging, "logging");
    Objects.requireNonNull(source, "source");
  }

  /** The link below {@code tier}, or {@code null} for the last tier. */
  public LinkConfig linkBelow(String tier) {
    for (LinkConfig l : links) {
      if (l.from().equals(tier)) {
        return l;
      }
    }
    return null;
  }
}
