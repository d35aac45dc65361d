package io.stratacache.config;

import io.stratacache.spi.LayerSpec;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The {@code kv_expire_time} and {@code cleanup_interval} settings of a tier that expires KV
 * blocks itself with a periodic sweep (the SSD and CXL tiers).
 *
 * @param expireAfter sliding expiry: time without a store or load after which a KV block expires;
 *     {@link Duration#ZERO} means never
 * @param cleanupInterval the period of the expiry sweep; positive
 */
public record ExpirySettings(Duration expireAfter, Duration cleanupInterval) {
  /** The tier keys these settings use. */
  public static final List<String> KEYS = List.of("kv_expire_time", "cleanup_interval");

  public ExpirySettings {
    Objects.requireNonNull(expireAfter, "expireAfter");
    Objects.requireNonNull(cleanupInterval, "cleanupInterval");
  }

  /** The settings, for a tier's {@link ConfigSection#settings()}. */
  public static List<Setting<?>> settings() {
    return List.of(Setting.number("kv_expire_time", 0.0), Setting.number("cleanup_interval", 60.0));
  }

  /**
   * Reads the settings of {@code spec}: {@code kv_expire_time} in seconds, at least 0 (the default,
   * never), and {@code cleanup_interval} in seconds, above 0 (default 60).
   *
   * @throws io.stratacache.core.ConfigException naming the key, the value and what was expected
   */
  public static ExpirySettings read(LayerSpec spec) {
    double expire = spec.number("kv_expire_time", 0);
    if (!(expire >= 0) || Double.isInfinite(expire)) {
      throw spec.error("kv_expire_time", spec.settings().get("kv_expire_time"), "seconds >= 0 (0 = never expire)");
    }
    double cleanup = spec.number("cleanup_interval", 60);
    if (!(cleanup > 0) || Double.isInfinite(cleanup)) {
      throw spec.error("cleanup_interval", spec.settings().get("cleanup_interval"), "seconds > 0");
    }
    return new ExpirySettings(seconds(expire), seconds(cleanup));
  }

  private static Duration seconds(double s) {
    return Duration.ofNanos(Math.round(s * 1e9));
  }
}
