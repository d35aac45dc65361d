package io.stratacache.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ConfigException;
import org.junit.jupiter.api.Test;

class WatermarksTest {
  private static StrataConfig parse(String tierLines) {
    return StrataConfig.parse("""
        tiers:
          - name: hot
            provider: cpu
            capacity: 1MiB
        %s
          - name: disk
            provider: ssd
            capacity: 8MiB
        """.formatted(tierLines), "test.yaml");
  }

  @Test
  void defaults_whenNotSet() {
    StrataConfig c = parse("");
    assertEquals(Watermarks.DEFAULTS, c.tiers().get(0).watermarks());
    assertTrue(Watermarks.DEFAULTS.active());
    assertEquals(new Watermarks(0.95, 0.85), Watermarks.DEFAULTS);
  }

  @Test
  void tierKeys_setTheWatermarks_andAreNotPassedToTheProvider() {
    StrataConfig c = parse("    high_watermark: 0.8\n    low_watermark: 0.5");
    assertEquals(new Watermarks(0.8, 0.5), c.tiers().get(0).watermarks());
    assertEquals(java.util.Set.of("capacity"), c.spec(0).settings().keySet());
    assertFalse(c.spec(0).has("high_watermark"));
    assertFalse(c.tiers().get(0).toSpec("x").has("low_watermark"));
  }

  @Test
  void highAlone_keepsTheDefaultGapBelowIt() {
    assertEquals(0.6, parse("    high_watermark: 0.7").tiers().get(0).watermarks().low(), 1e-9);
    assertEquals(0.0, parse("    high_watermark: 0.05").tiers().get(0).watermarks().low(), 1e-9);
  }

  @Test
  void highOfOne_turnsMaintenanceOff() {
    assertFalse(parse("    high_watermark: 1.0").tiers().get(0).watermarks().active());
  }

  @Test
  void invalidValues_areNamedWithTheirLineAndWhatWasExpected() {
    assertEquals("test.yaml:5: tiers[0].high_watermark = 1.5 (expected: a fraction of capacity in (0, 1], such as 0.95)",
        assertThrows(ConfigException.class, () -> parse("    high_watermark: 1.5")).getMessage());
    assertEquals("test.yaml:6: tiers[0].low_watermark = 0.9 (expected: a fraction of capacity from 0 to below high_watermark, 0.8)",
        assertThrows(ConfigException.class, () -> parse("    high_watermark: 0.8\n    low_watermark: 0.9")).getMessage());
    assertEquals("test.yaml:5: tiers[0].low_watermark = 0.97 (expected: a fraction of capacity from 0 to below high_watermark, 0.95)",
        assertThrows(ConfigException.class, () -> parse("    low_watermark: 0.97")).getMessage());
    assertEquals("test.yaml:5: tiers[0].high_watermark = \"lots\" (expected: a fraction of capacity such as 0.95)",
        assertThrows(ConfigException.class, () -> parse("    high_watermark: lots")).getMessage());
  }

  @Test
  void constructor_refusesNonsense() {
    assertEquals("high_watermark: 0.0 (expected: a fraction of capacity in (0, 1], such as 0.95)",
        assertThrows(IllegalArgumentException.class, () -> new Watermarks(0, 0)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Watermarks(0.5, 0.5));
    assertThrows(IllegalArgumentException.class, () -> new Watermarks(0.5, -0.1));
    assertThrows(IllegalArgumentException.class, () -> new Watermarks(Double.NaN, 0.1));
    assertEquals(950, new Watermarks(0.95, 0.85).highBytes(1000));
    assertEquals(850, new Watermarks(0.95, 0.85).lowBytes(1000));
  }
}
