package io.stratacache.backend.cxl;

import java.io.IOException;
import io.stratacache.spi.LayerSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Regions for the tests: the spec of a tier on a region file, and damaging a region file through a
 * mapping of the test's own, as bit rot or a stray write would.
 */
final class CxlTestRegions {
  static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);

  private CxlTestRegions() {}

  /**
   * The spec of a tier called {@code shared} on the region file {@code region} of {@code
   * capacity}, with the settings {@code kv} (name, value, name, value...) added or overriding.
   */
  static LayerSpec spec(Path region, String capacity, Object... kv) {
    Map<String, Object> m = new HashMap<>();
    m.put("path", region.toString());
    m.put("capacity", capacity);
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return LayerSpec.of("shared", "cxl", m);
  }

  /** Runs {@code body} on a writable mapping of {@code region} and the geometry its header describes. */
  static void poke(Path region, BiConsumer<MemorySegment, CxlLayout.Geometry> body) throws IOException {
    try (FileChannel ch = FileChannel.open(region, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Arena arena = Arena.ofConfined()) {
      MemorySegment r = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), arena);
      body.accept(r, CxlLayout.Geometry.read(r));
      r.force();
    }
  }

  /**
   * Flips one bit of the payload byte at {@code fromEnd} bytes before the end of every committed
   * record's payload (0: the last byte).
   */
  static void flipPayloadByte(Path region, long fromEnd) throws IOException {
    poke(region, (r, g) -> {
      for (int s = 0; s < g.slotCount(); s++) {
        long so = g.slot(s);
        if (r.get(LONG, so + CxlLayout.SLOT_STATE) == CxlLayout.COMMITTED) {
          long end = g.dataOffset() + r.get(LONG, so + CxlLayout.SLOT_RECORD_OFFSET)
              + r.get(LONG, so + CxlLayout.SLOT_RECORD_LENGTH);
          long at = end - 1 - fromEnd;
          r.set(ValueLayout.JAVA_BYTE, at, (byte) (r.get(ValueLayout.JAVA_BYTE, at) ^ 1));
        }
      }
    });
  }
}
