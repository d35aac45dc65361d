package io.stratacache.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.DeviceLease;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.Lease;
import io.stratacache.spi.ProbeResult;
import io.stratacache.testkit.LogCapture;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The GPU tier in an engine: optional and required without a GPU, and a GPU -> CPU chain whose
 * evictions demote to the CPU tier with a GPU (skipped, with the probe's reason, without one).
 */
class GpuTierTest {
  private static ProbeResult probe() {
    return LayerProviders.forName("cuda").probe();
  }

  private static StorageEngine.Builder gpuOverCpu(boolean optional, String gpuCapacity) {
    return StorageEngine.builder()
        .tier("gpu", "cuda", Map.of("capacity", gpuCapacity, "optional", optional, "staging_buffer", "256KiB"))
        .tier("cpu", "cpu", Map.of("capacity", "64MiB"))
        .link("gpu", "cpu", LinkMode.WRITE_BACK);
  }

  @Test
  void anOptionalGpuTierThatCannotStartIsLeftOutWithOneLine() {
    ProbeResult probe = probe();
    assumeFalse(probe.available(), "a GPU is present here; this test is for machines without one");
    LogCapture log = LogCapture.of(StorageEngine.class);
    try (log; StorageEngine engine = gpuOverCpu(true, "64MiB").build()) {
      assertEquals(List.of("cpu"), engine.tiers());
      ArtifactId id = ArtifactId.of("kv", "m", "x");
      engine.store(id, ArtifactMeta.of(ArtifactType.KV_BLOCKS), MemorySegment.ofArray(new byte[] {1, 2, 3}));
      assertTrue(engine.contains(id));
    }
    List<String> lines = log.lines(); // the engine's close included
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).startsWith("INFO optional tier 'gpu' (provider cuda, "), lines.get(0));
    assertTrue(lines.get(0).endsWith(") left out: is unavailable: " + probe.reason()), lines.get(0));
  }

  @Test
  void aRequiredGpuTierThatCannotStartFailsWithTheReason() {
    ProbeResult probe = probe();
    assumeFalse(probe.available(), "a GPU is present here; this test is for machines without one");
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class, () -> gpuOverCpu(false, "64MiB").build());
    assertTrue(e.getMessage().contains("(tier 'gpu', provider cuda) is unavailable: " + probe.reason()), e.getMessage());
  }

  @Test
  void kvChunksRoundTripThroughAGpuToCpuChainWithDemotionByteIdentical() {
    ProbeResult probe = probe();
    assumeTrue(probe.available(), () -> "no GPU here: " + probe.reason());
    int chunks = 24;
    int size = 1 << 20;
    try (StorageEngine engine = gpuOverCpu(false, "8MiB").build()) {
      for (int i = 0; i < chunks; i++) {
        engine.store(id(i), ArtifactMeta.of(ArtifactType.KV_BLOCKS), bytes(i, size));
      }
      int onCpu = 0;
      for (int i = 0; i < chunks; i++) {
        onCpu += "cpu".equals(engine.admin().tierOf(id(i))) ? 1 : 0;
      }
      assertTrue(onCpu >= chunks - 8, "evicted chunks were demoted to the CPU tier: " + onCpu + " of " + chunks);
      for (int i = 0; i < chunks; i++) {
        try (Lease lease = engine.load(id(i))) {
          assertEquals(-1, bytes(i, size).mismatch(lease.segment()), "chunk " + i + " differs after the round trip");
        }
      }
      try (Lease lease = engine.tier("gpu").load(id(chunks - 1))) {
        assertTrue(lease instanceof DeviceLease, lease.getClass().getName());
        DeviceLease device = (DeviceLease) lease;
        assertTrue(device.deviceAddress() != 0);
        assertEquals(0, device.deviceOrdinal());
        assertEquals(size, device.size());
      }
    }
  }

  private static ArtifactId id(int i) {
    return ArtifactId.of("kv", "llama", "chunk-" + i);
  }

  private static MemorySegment bytes(int seed, int size) {
    byte[] b = new byte[size];
    new SplittableRandom(seed).nextBytes(b);
    return MemorySegment.ofArray(b);
  }
}
