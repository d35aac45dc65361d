package io.stratacache.conformance;

import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import java.util.HashMap;
import java.util.Map;

/** The conformance kit over the {@code cpu} provider with its default settings. */
@ConformanceFor("cpu")
class CpuLayerConformanceTest extends AbstractMemoryLayerTest {
  /** Settings besides capacity and eviction policy. */
  Map<String, Object> settings() {
    return Map.of();
  }

  @Override
  protected MemoryLayer newLayer(String tierName, long capacityBytes) {
    return openCpu(tierName, capacityBytes, Map.of());
  }

  @Override
  protected MemoryLayer newLayer(String tierName, long capacityBytes, String evictionPolicy) {
    return openCpu(tierName, capacityBytes, Map.of("eviction_policy", evictionPolicy));
  }

  private MemoryLayer openCpu(String tierName, long capacityBytes, Map<String, Object> extra) {
    Map<String, Object> s = new HashMap<>(settings());
    s.putAll(extra);
    s.put("capacity", capacityBytes);
    return LayerProviders.forName("cpu").open(LayerSpec.of(tierName, "cpu", s));
  }
}
