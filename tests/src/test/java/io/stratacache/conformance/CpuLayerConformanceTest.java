package io.stratacache.conformance;

import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import java.util.Map;

/** The conformance kit over the {@code cpu} provider with its default settings. */
@ConformanceFor("cpu")
class CpuLayerConformanceTest extends AbstractMemoryLayerTest {
  @Override
  protected MemoryLayer newLayer(String tierName, long capacityBytes) {
    return LayerProviders.forName("cpu").open(LayerSpec.of(tierName, "cpu", Map.of("capacity", capacityBytes)));
  }

  @Override
  protected MemoryLayer newLayer(String tierName, long capacityBytes, String evictionPolicy) {
    return LayerProviders.forName("cpu")
        .open(LayerSpec.of(tierName, "cpu", Map.of("capacity", capacityBytes, "eviction_policy", evictionPolicy)));
  }
}
