package com.example.deflate;

import io.stratacache.spi.EvictionPolicy;
import io.stratacache.testkit.AbstractMemoryLayerTest;
import io.stratacache.testkit.ConformanceFor;
import io.stratacache.testkit.LayerFactory;

/** The whole conformance kit over {@link DeflateLayer}. */
@ConformanceFor("deflate")
class DeflateLayerConformanceTest extends AbstractMemoryLayerTest {
  @Override
  protected LayerFactory factory() {
    return (tier, capacity, policy) -> new DeflateLayer(tier, capacity, EvictionPolicy.forName(policy));
  }
}
