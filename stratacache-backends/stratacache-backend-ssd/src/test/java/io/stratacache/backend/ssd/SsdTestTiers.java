package io.stratacache.backend.ssd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.stratacache.spi.LayerSpec;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Tiers and payloads for the SSD tests: the configuration of a test tier, and seeded bytes to store and compare. */
final class SsdTestTiers {
  private SsdTestTiers() {}

  /**
   * The configuration of a tier called {@code disk} in the directory {@code path}, of {@code
   * capacity}, that never syncs, with the settings {@code kv} (name, value, name, value...) added
   * or overriding.
   */
  static SsdConfig config(Path path, String capacity, Object... kv) {
    Map<String, Object> m = new HashMap<>();
    m.put("path", path.toString());
    m.put("capacity", capacity);
    m.put("fsync", "never");
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return SsdConfig.from(LayerSpec.of("disk", "ssd", m));
  }

  /** {@code size} bytes drawn from {@code seed}. */
  static MemorySegment bytes(long seed, int size) {
    byte[] b = new byte[size];
    new SplittableRandom(seed).nextBytes(b);
    return MemorySegment.ofArray(b);
  }

  /** Asserts that {@code actual} holds exactly {@link #bytes bytes(seed, size)}. */
  static void assertBytes(long seed, int size, MemorySegment actual) {
    assertEquals(size, actual.byteSize(), "payload size");
    assertEquals(-1, bytes(seed, size).mismatch(actual), "payload differs from seed " + seed);
  }
}
