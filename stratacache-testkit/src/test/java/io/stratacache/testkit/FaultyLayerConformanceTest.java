package io.stratacache.testkit;

/**
 * The conformance kit over a {@link FaultyLayer} that injects nothing, around the reference {@link
 * HeapLayer}: the wrapper itself keeps every contract, so the faults are all that tests using it
 * see.
 */
class FaultyLayerConformanceTest extends AbstractMemoryLayerTest {
  @Override
  protected LayerFactory factory() {
    return (tier, capacity, policy) -> FaultyLayer.wrap(new HeapLayer(tier, capacity, policy)).seed(Seeds.seed()).build();
  }
}
