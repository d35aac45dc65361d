package io.stratacache.kv;

import io.stratacache.config.SectionValues;
import io.stratacache.config.StrataConfig;
import java.util.Objects;

/**
 * Statistics logging and telemetry of the KV-cache adapter (sections {@code logging:} and {@code
 * telemetry:}, the original StrataCache's flat keys).
 *
 * @param logStats log statistics periodically ({@code log_stats})
 * @param logEvery log every N requests ({@code log_every})
 * @param logMinIntervalS at most one log line per this many seconds ({@code log_min_interval_s})
 * @param debug verbose logging ({@code debug})
 * @param telemetryExport where telemetry goes ({@code telemetry.export}: {@code none}, {@code log})
 */
public record LoggingConfig(boolean logStats, int logEvery, double logMinIntervalS, boolean debug, String telemetryExport) {
  public static final LoggingConfig DEFAULTS = new LoggingConfig(false, 100, 10.0, false, "none");

  public LoggingConfig {
    if (logEvery <= 0) {
      throw new IllegalArgumentException("logEvery: " + logEvery + " (expected: a positive number of requests)");
    }
    if (!(logMinIntervalS >= 0) || Double.isInfinite(logMinIntervalS)) {
      throw new IllegalArgumentException("logMinIntervalS: " + logMinIntervalS + " (expected: a finite number of seconds, 0 or more)");
    }
    Objects.requireNonNull(telemetryExport, "telemetryExport");
  }

  /** The {@code logging:} and {@code telemetry:} sections of {@code config}. */
  public static LoggingConfig from(StrataConfig config) {
    SectionValues l = Objects.requireNonNull(config, "config").section(LoggingSection.NAME);
    SectionValues t = config.section(TelemetrySection.NAME);
    return new LoggingConfig(l.get(LoggingSection.LOG_STATS), l.get(LoggingSection.LOG_EVERY),
        l.get(LoggingSection.LOG_MIN_INTERVAL_S), l.get(LoggingSection.DEBUG), t.get(TelemetrySection.EXPORT));
  }
}
