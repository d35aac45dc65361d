package io.stratacache.backend.cxl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.ConfigException;
import io.stratacache.spi.LayerSpec;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The slot table: sized from expected_artifact_size, and a refusal that says when slots ran out. */
class CxlSlotsTest {
  @TempDir Path dir;

  private LayerSpec spec(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    m.put("path", dir.resolve("region").toString());
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return LayerSpec.of("shared", "cxl", m);
  }

  @Test
  void slotCount_followsCapacityAndExpectedArtifactSize_unlessSlotsIsSet() {
    long gib = 1L << 30;
    assertEquals(65_536, CxlConfig.from(spec("capacity", "1GiB")).slotsFor(gib), "default: one per 16 KiB");
    assertEquals(262_144, CxlConfig.from(spec("capacity", "1GiB", "expected_artifact_size", "4KiB")).slotsFor(gib));
    assertEquals(1024, CxlConfig.from(spec("capacity", "1GiB", "expected_artifact_size", "1GiB")).slotsFor(gib),
        "never fewer than 1024");
    assertEquals(262_144, CxlConfig.from(spec("capacity", "1GiB", "expected_artifact_size", "1KiB")).slotsFor(gib),
        "never more than one per block");
    assertEquals(500, CxlConfig.from(spec("capacity", "1GiB", "expected_artifact_size", "4KiB", "slots", 500))
        .slotsFor(gib));
    ConfigException e = assertThrows(ConfigException.class,
        () -> CxlConfig.from(spec("capacity", "1GiB", "expected_artifact_size", 0)));
    assertTrue(e.getMessage().contains("expected_artifact_size"), e.getMessage());
  }

  @Test
  void storeThatFindsEverySlotHeld_isRefusedNamingTheSlotsAndTheSettings() {
    try (CxlLayer layer = CxlLayer.open(spec("capacity", "1MiB", "slots", 4))) {
      for (int i = 0; i < 4; i++) {
        ArtifactId id = ArtifactId.of("p" + i);
        layer.put(id, ArtifactMeta.custom(), CxlLayerTest.bytes(i, 100));
        assertTrue(layer.pin(id));
      }
      CapacityException e = assertThrows(CapacityException.class,
          () -> layer.put(ArtifactId.of("one-more"), ArtifactMeta.custom(), CxlLayerTest.bytes(9, 100)));
      String m = e.getMessage();
      assertTrue(m.contains("all 4 slots are in use") && m.contains("the slot table ran out, not the bytes")
          && m.contains("tiers.shared.slots") && m.contains("tiers.shared.expected_artifact_size"), m);
      assertEquals(4, layer.stats().artifacts(), "nothing lost");
      assertEquals(1, layer.stats().rejected());
    }
  }
}
