package io.stratacache.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ConfigException;
import io.stratacache.spi.LayerSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExpirySettingsTest {
  private static LayerSpec spec(Map<String, Object> settings) {
    return LayerSpec.of("disk", "ssd", settings);
  }

  @Test
  void defaults_neverExpire_andSweepEveryMinute() {
    assertEquals(new ExpirySettings(Duration.ZERO, Duration.ofSeconds(60)), ExpirySettings.read(spec(Map.of())));
  }

  @Test
  void secondsMayBeFractional() {
    ExpirySettings e = ExpirySettings.read(spec(Map.of("kv_expire_time", 1.5, "cleanup_interval", "0.25")));
    assertEquals(Duration.ofMillis(1500), e.expireAfter());
    assertEquals(Duration.ofMillis(250), e.cleanupInterval());
  }

  @Test
  void aNegativeOrInfiniteExpiry_isRefusedNamingTheKeyAndWhatWasExpected() {
    for (Object bad : List.of(-1, "-0.5", Double.POSITIVE_INFINITY, Double.NaN)) {
      ConfigException e = assertThrows(ConfigException.class, () -> ExpirySettings.read(spec(Map.of("kv_expire_time", bad))));
      assertTrue(e.getMessage().contains("kv_expire_time") && e.getMessage().contains("seconds >= 0 (0 = never expire)"), e.getMessage());
    }
  }

  @Test
  void aCleanupIntervalThatIsNotPositive_isRefusedNamingTheKey() {
    for (Object bad : List.of(0, -3, Double.POSITIVE_INFINITY)) {
      ConfigException e = assertThrows(ConfigException.class, () -> ExpirySettings.read(spec(Map.of("cleanup_interval", bad))));
      assertTrue(e.getMessage().contains("cleanup_interval") && e.getMessage().contains("seconds > 0"), e.getMessage());
    }
  }

  @Test
  void theSettingsNameTheKeys() {
    assertEquals(ExpirySettings.KEYS, ExpirySettings.settings().stream().map(Setting::key).toList());
  }
}
