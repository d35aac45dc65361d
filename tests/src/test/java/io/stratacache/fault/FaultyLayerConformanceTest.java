package io.stratacache.fault;

import io.stratacache.conformance.AbstractMemoryLayerTest;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import java.util.Map;

/**
 * The conformance kit over a {@link FaultyLayer} that injects nothing, around the {@code cpu}
 * provider: the wrapper itself keeps every contract, so the faults are all that tests using it
 * see. Not a provider, hence no {@code @ConformanceFor}.
 */
class FaultyLayerConformanceTest extends AbstractMemoryLayerTest {
  @Override
  protected MemoryLayer newLayer(String tierName, long capacityBytes) {
    return newLayer(tierName, capacityBytes, "lru");
  }

  @Override
  protected MemoryLayer newLayer(String tierName, long capacityBytes, String evictionPolicy) {
    MemoryLayer cpu = LayerProviders.forName("cpu").open(
        LayerSpec.of(tierName, "cpu", Map.of("capacity", capacityBytes, "eviction_policy", evictionPolicy)));
    return FaultyLayer.wrap(cpu).seed(seed).build();
  }
}
