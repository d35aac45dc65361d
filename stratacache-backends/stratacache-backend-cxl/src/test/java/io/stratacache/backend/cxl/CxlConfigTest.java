package io.stratacache.backend.cxl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ConfigException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CxlConfigTest {
  @TempDir Path dir;

  private LayerSpec spec(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    m.put("path", dir.resolve("region").toString());
    m.put("capacity", "4MiB");
    for (int i = 0; i < kv.length; i += 2) {
      if (kv[i + 1] == null) {
        m.remove((String) kv[i]);
      } else {
        m.put((String) kv[i], kv[i + 1]);
      }
    }
    return LayerSpec.of("shared", "cxl", m);
  }

  @Test
  void from_appliesDefaults() {
    CxlConfig c = CxlConfig.from(spec());
    assertEquals(dir.resolve("region"), c.path());
    assertEquals(4 << 20, c.capacityBytes());
    assertEquals(-1, c.sizeBytes());
    assertFalse(c.resetMetadata());
    assertEquals("lru", c.evictionPolicy());
    assertEquals(4096, c.alignment());
    assertEquals(4096, c.blockBytes());
    assertEquals(1024, c.slotsFor(4 << 20));
    assertEquals(32, c.maxProcesses());
    assertEquals(Duration.ofSeconds(10), c.lockLease());
    assertFalse(c.isDaxDevice());
    assertFalse(c.verifyEveryLoad(), "verify: once is the default");
    assertTrue(CxlConfig.from(spec("verify", "always")).verifyEveryLoad());
  }

  @Test
  void from_deviceIsAnAliasOfPath() {
    CxlConfig c = CxlConfig.from(spec("path", null, "device", "/dev/dax1.0", "reset_metadata", "true"));
    assertEquals(Path.of("/dev/dax1.0"), c.path());
    assertTrue(c.isDaxDevice());
    assertTrue(c.resetMetadata());
    CxlConfig same = CxlConfig.from(spec("path", "/dev/dax1.0", "device", "/dev/dax1.0"));
    assertEquals(Path.of("/dev/dax1.0"), same.path());
  }

  @Test
  void from_rejectsBadSettingsNamingKeyAndExpectation() {
    assertMessage(spec("path", null), "tiers.shared.path = null (expected: a DAX device such as /dev/dax0.0");
    assertMessage(spec("device", "/dev/dax9.9"), "tiers.shared.device = \"/dev/dax9.9\" (expected: the same as path");
    assertMessage(spec("block_size", 100), "tiers.shared.block_size = 100 (expected: a power of two from 64");
    assertMessage(spec("alignment", 8192), "tiers.shared.alignment = 8192 (expected: at most block_size (4096))");
    assertMessage(spec("slots", 0), "tiers.shared.slots = 0 (expected: 1 to 16777216)");
    assertMessage(spec("max_processes", 0), "tiers.shared.max_processes = 0");
    assertMessage(spec("lock_lease_ms", 1), "tiers.shared.lock_lease_ms = 1");
    assertMessage(spec("capacity", "0"), "tiers.shared.capacity");
    assertMessage(spec("reset_metadata", "maybe"), "tiers.shared.reset_metadata = \"maybe\" (expected: true or false)");
    assertMessage(spec("cxl_dax_device", "/dev/dax0.0"), "tiers.shared.cxl_dax_device");
    assertMessage(spec("verify", "never"), "tiers.shared.verify = \"never\" (expected: always or once)");
  }

  @Test
  void provider_probesAvailableAndRefusesMissingDaxDeviceNamingTheFix() {
    LayerProvider p = LayerProviders.forName("cxl");
    assertTrue(p.probe().available());
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class,
        () -> p.open(spec("path", "/dev/dax97.3")));
    assertTrue(e.getMessage().contains("/dev/dax97.3 does not exist"), e.getMessage());
    assertTrue(e.getMessage().contains("ndctl create-namespace --mode=devdax"), e.getMessage());
    assertTrue(e.getMessage().contains("/dev/shm/stratacache-shared"), e.getMessage());
  }

  @Test
  void open_withoutAnySizeForANewRegion_isRefused() {
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class,
        () -> LayerProviders.forName("cxl").open(spec("capacity", null)));
    assertTrue(e.getMessage().contains("neither tiers.shared.capacity nor tiers.shared.size"), e.getMessage());
  }

  private static void assertMessage(LayerSpec spec, String fragment) {
    ConfigException e = assertThrows(ConfigException.class, () -> CxlConfig.from(spec));
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }
}
