package io.stratacache.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ConfigException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.LayerSpec;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The GPU tier's settings: what is refused, and how, without a GPU. */
class CudaConfigTest {
  private static CudaConfig config(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return CudaConfig.from(LayerSpec.of("gpu", "cuda", m));
  }

  private static String error(Object... kv) {
    return assertThrows(ConfigException.class, () -> config(kv)).getMessage();
  }

  @Test
  void defaults() {
    CudaConfig c = config("capacity", "1GiB");
    assertEquals(0, c.device());
    assertEquals(1L << 30, c.capacityBytes());
    assertEquals(256, c.alignment());
    assertEquals(8L << 20, c.stagingBytes());
    assertEquals(4, c.stagingBuffers());
    assertEquals("lru", c.evictionPolicy());
  }

  @Test
  void exactlyOneOfCapacityAndFraction() {
    assertTrue(error().contains("capacity = null (expected: a size such as 8GiB, or capacity_fraction such as 0.5)"),
        error());
    String both = error("capacity", "1GiB", "capacity_fraction", 0.5);
    assertTrue(both.contains("capacity_fraction = 0.5 (expected: only one of capacity and capacity_fraction)"), both);
    assertEquals(0.5, config("capacity_fraction", 0.5).capacityFraction());
  }

  @Test
  void rangesAreChecked() {
    assertTrue(error("capacity_fraction", 0.99).contains("capacity_fraction = 0.99 (expected: a fraction of the device's"
        + " free memory above 0 and at most 0.95)"), error("capacity_fraction", 0.99));
    assertTrue(error("capacity_fraction", 0).contains("capacity_fraction = 0"), error("capacity_fraction", 0));
    assertTrue(error("capacity", "1GiB", "device", -1).contains("device = -1 (expected: a device ordinal from 0"),
        error("capacity", "1GiB", "device", -1));
    assertTrue(error("capacity", "1GiB", "alignment", 100).contains("alignment = 100 (expected: a power of two from 256"),
        error("capacity", "1GiB", "alignment", 100));
    assertTrue(error("capacity", "1GiB", "staging_buffer", "1KiB").contains("staging_buffer = \"1KiB\" (expected: an even size"),
        error("capacity", "1GiB", "staging_buffer", "1KiB"));
    assertTrue(error("capacity", "1GiB", "staging_buffers", 0).contains("staging_buffers = 0 (expected: 1 to 64"),
        error("capacity", "1GiB", "staging_buffers", 0));
    assertTrue(error("capacity", "1GiB", "devcie", 1).contains("devcie = 1 (expected: one of the keys"),
        error("capacity", "1GiB", "devcie", 1));
  }

  @Test
  void aDeviceWithLessFreeMemoryThanAskedIsRefusedNamingBoth() {
    CudaConfig c = config("capacity", "16GiB");
    LayerUnavailableException e =
        assertThrows(LayerUnavailableException.class, () -> c.bytesToAllocate("gpu", "NVIDIA H200", 12L << 30));
    assertEquals("cuda tier 'gpu': device 0 (NVIDIA H200) has 12884901888 bytes free, less than tiers.gpu.capacity ="
        + " 17179869184 bytes (expected: a capacity within the device's free memory, or a smaller capacity_fraction)",
        e.getMessage());
    assertEquals(16L << 30, c.bytesToAllocate("gpu", "NVIDIA H200", 20L << 30));
    CudaConfig half = config("capacity_fraction", 0.5);
    assertEquals((10L << 30) - ((10L << 30) % 256), half.bytesToAllocate("gpu", "NVIDIA H200", 20L << 30));
    assertEquals(0, half.bytesToAllocate("gpu", "x", 1001) % 256);
    assertThrows(LayerUnavailableException.class, () -> half.bytesToAllocate("gpu", "x", 100));
  }
}
