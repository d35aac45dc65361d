package io.stratacache.backend.cpu;

import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.testkit.AbstractMemoryLayerTest;
import io.stratacache.testkit.ConformanceFor;
import io.stratacache.testkit.LayerFactory;
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
  protected LayerFactory factory() {
    return (tier, capacity, policy) -> {
      Map<String, Object> s = new HashMap<>(settings());
      s.put("capacity", capacity);
      s.put("eviction_policy", policy);
      return LayerProviders.forName("cpu").open(LayerSpec.of(tier, "cpu", s));
    };
  }
}
