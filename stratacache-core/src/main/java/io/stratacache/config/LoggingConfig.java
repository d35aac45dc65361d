package io.stratacache.config;

/**
 * Statistics logging and telemetry (the original StrataCache's flat keys).
 *
 * @param logStats log statistics periodically ({@code log_stats})
 * @param logEvery log every N requests ({@code log_every})
 * @param logMinIntervalS at most one log line per this many seconds ({@code log_min_interval_s})
 * @param debug verbose logging ({@code debug})
 * @param telemetryExport where telemetry goes ({@code telemetry.export}: {@code none}, {@code log})
 */
public record LoggingConfig(boolean logStats, int logEvery, double logMinIntervalS, boolean debug, String telemetryExport) {
  public static final LoggingConfig DEFAULTS = new LoggingConfig(false, 100, 10.0, false, "none");
}
