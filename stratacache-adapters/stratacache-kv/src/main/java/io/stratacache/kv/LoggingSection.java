package io.stratacache.kv;

import io.stratacache.config.ConfigSection;
import io.stratacache.config.Setting;
import java.util.List;

/**
 * Section {@code logging:} of the configuration: the KV-cache adapter's statistics logging, read
 * into {@link LoggingConfig}. Each key also has the original StrataCache's flat name.
 */
public final class LoggingSection implements ConfigSection {
  /** Log statistics periodically. */
  public static final Setting<Boolean> LOG_STATS = Setting.bool("log_stats", false).flat("log_stats");
  /** Log every N lookups. */
  public static final Setting<Integer> LOG_EVERY =
      Setting.integer("log_every", 100).check(n -> n > 0, "a positive number of requests").flat("log_every");
  /** At most one line per this many seconds. */
  public static final Setting<Double> LOG_MIN_INTERVAL_S = Setting.number("log_min_interval_s", 10.0)
      .check(s -> s >= 0 && !s.isInfinite(), "a finite number of seconds, 0 or more").flat("log_min_interval_s");
  /** Verbose logging. */
  public static final Setting<Boolean> DEBUG = Setting.bool("debug", false).flat("debug");

  /** The section's name. */
  public static final String NAME = "logging";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Setting<?>> settings() {
    return List.of(LOG_STATS, LOG_EVERY, LOG_MIN_INTERVAL_S, DEBUG);
  }
}
