package io.stratacache.backend.ssd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ConfigException;
import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SsdConfigTest {
  @TempDir Path dir;

  private LayerSpec spec(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    m.put("path", dir.toString());
    m.put("capacity", "1MiB");
    for (int i = 0; i < kv.length; i += 2) {
      if (kv[i + 1] == null) {
        m.remove((String) kv[i]);
      } else {
        m.put((String) kv[i], kv[i + 1]);
      }
    }
    return LayerSpec.of("disk", "ssd", m);
  }

  @Test
  void from_appliesDefaults() {
    SsdConfig c = SsdConfig.from(spec());
    assertEquals(dir, c.path());
    assertEquals(1 << 20, c.capacityBytes());
    assertEquals(FsyncPolicy.BATCH, c.fsync());
    assertEquals(Duration.ofSeconds(1), c.fsyncInterval());
    assertEquals("lru", c.evictionPolicy());
    assertEquals(Duration.ZERO, c.expireAfter());
    assertEquals(Duration.ofSeconds(60), c.cleanupInterval());
    assertEquals(64, c.alignment());
    assertFalse(c.verifyEveryLoad());
  }

  @Test
  void from_readsEverySetting() {
    SsdConfig c = SsdConfig.from(spec("fsync", "ALWAYS", "fsync_interval_ms", 250, "eviction_policy", "fifo",
        "kv_expire_time", 1.5, "cleanup_interval", "2", "alignment", 512, "verify", "always"));
    assertEquals(FsyncPolicy.ALWAYS, c.fsync());
    assertEquals(Duration.ofMillis(250), c.fsyncInterval());
    assertEquals("fifo", c.evictionPolicy());
    assertEquals(Duration.ofMillis(1500), c.expireAfter());
    assertEquals(Duration.ofSeconds(2), c.cleanupInterval());
    assertEquals(512, c.alignment());
    assertTrue(c.verifyEveryLoad());
  }

  @Test
  void from_defaultsPathUnderUserCache() {
    SsdConfig c = SsdConfig.from(spec("path", null));
    assertEquals(Path.of(System.getProperty("user.home"), ".cache", "stratacache", "ssd"), c.path());
  }

  @Test
  void from_rejectsUnknownKeyNamingIt() {
    ConfigException e = assertThrows(ConfigException.class, () -> SsdConfig.from(spec("fsnyc", "always")));
    assertTrue(e.getMessage().contains("tiers.disk.fsnyc"), e.getMessage());
    assertTrue(e.getMessage().contains("fsync"), e.getMessage());
  }

  @Test
  void from_rejectsBadValuesNamingKeyAndExpectation() {
    assertMessage(spec("fsync", "sometimes"), "tiers.disk.fsync = \"sometimes\" (expected: always, never or batch)");
    assertMessage(spec("alignment", 3000), "tiers.disk.alignment = 3000 (expected: a power of two");
    assertMessage(spec("alignment", 1 << 21), "tiers.disk.alignment");
    assertMessage(spec("kv_expire_time", -1), "tiers.disk.kv_expire_time = -1 (expected: seconds >= 0");
    assertMessage(spec("cleanup_interval", 0), "tiers.disk.cleanup_interval = 0 (expected: seconds > 0)");
    assertMessage(spec("fsync_interval_ms", 0), "tiers.disk.fsync_interval_ms = 0 (expected: milliseconds > 0)");
    assertMessage(spec("capacity", null), "tiers.disk.capacity");
    assertMessage(spec("eviction_policy", "random"), "tiers.disk.eviction_policy");
    assertMessage(spec("verify", "sometimes"), "tiers.disk.verify = \"sometimes\" (expected: always or once)");
  }

  @Test
  void provider_isFoundByNameAndOpensLayer() {
    LayerProvider p = LayerProviders.forName("ssd");
    assertTrue(p.probe().available());
    try (var layer = p.open(spec())) {
      assertEquals("disk", layer.name());
      assertTrue(layer instanceof SsdLayer);
    }
  }

  private static void assertMessage(LayerSpec spec, String fragment) {
    ConfigException e = assertThrows(ConfigException.class, () -> SsdConfig.from(spec));
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }
}
