package io.stratacache.backend.cxl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.spi.LayerSpec;
import io.stratacache.testkit.LogCapture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A region the tier creates for {@code capacity} has a data area of exactly that capacity. */
class CxlRegionSizeTest {
  private static final long KIB = 1024;
  private static final long MIB = 1024 * KIB;

  @TempDir Path dir;
  private LogCapture log;

  @BeforeEach
  void listen() {
    log = LogCapture.of("io.stratacache.backend.cxl");
  }

  @AfterEach
  void stopListening() {
    log.close();
  }

  /** Creates a region for {@code capacity}, checks its data area at the first open and a reopen. */
  private void assertDataAreaOnCreate(long capacity, long expectedData, Object... settings) throws IOException {
    Path path = dir.resolve("region-" + capacity);
    Map<String, Object> m = new HashMap<>();
    m.put("path", path.toString());
    m.put("capacity", capacity);
    for (int i = 0; i < settings.length; i += 2) {
      m.put((String) settings[i], settings[i + 1]);
    }
    String what = "capacity " + capacity + " with " + m;
    for (String open : List.of("first open", "reopen")) {
      try (CxlLayer layer = CxlLayer.open(LayerSpec.of("shared", "cxl", m))) {
        assertEquals(expectedData, layer.capacityBytes(), what + ", " + open + ": data area");
        assertEquals(expectedData, layer.stats().capacityBytes(), what + ", " + open + ": stats capacity");
      }
      assertEquals(List.of(), log.lines(Level.WARNING), what + ", " + open + ": warnings");
    }
    Files.delete(path);
  }

  @Test
  void createdRegion_ofSixtyFourMiBOrMore_holdsExactlyTheCapacity() throws IOException {
    for (long mib : new long[] {64, 128, 256}) {
      assertDataAreaOnCreate(mib * MIB, mib * MIB);
    }
  }

  @Test
  void createdRegion_aroundTheDefaultSlotSteps_holdsExactlyTheCapacity() throws IOException {
    // The default slot count steps every 64 KiB of data from 64 MiB on.
    for (long capacity : new long[] {64 * MIB - 4 * KIB, 64 * MIB + 4 * KIB, 64 * MIB + 60 * KIB, 64 * MIB + 64 * KIB,
        96 * MIB + 12 * KIB}) {
      assertDataAreaOnCreate(capacity, capacity);
    }
  }

  @Test
  void createdRegion_ofSmallCapacities_holdsExactlyTheCapacity() throws IOException {
    for (long capacity : new long[] {4 * KIB, 64 * KIB, 256 * KIB, MIB, 4 * MIB, 17 * MIB}) {
      assertDataAreaOnCreate(capacity, capacity);
    }
  }

  @Test
  void createdRegion_withOtherGeometries_holdsExactlyTheCapacity() throws IOException {
    assertDataAreaOnCreate(MIB, MIB, "block_size", 64, "alignment", 64);
    assertDataAreaOnCreate(3 * MIB + 192, 3 * MIB + 192, "block_size", 64, "alignment", 64);
    assertDataAreaOnCreate(80 * MIB, 80 * MIB, "block_size", 1 << 20);
    assertDataAreaOnCreate(70 * MIB, 70 * MIB, "slots", 5000);
    assertDataAreaOnCreate(70 * MIB, 70 * MIB, "max_processes", 7);
    assertDataAreaOnCreate(2 * MIB, 2 * MIB, "block_size", 8192, "slots", 1);
  }

  @Test
  void createdRegion_forACapacityBetweenBlocks_roundsUpToAWholeBlock() throws IOException {
    assertDataAreaOnCreate(1_000_000, 245 * 4096);
    assertDataAreaOnCreate(65 * MIB + 1, 65 * MIB + 4096);
  }
}
