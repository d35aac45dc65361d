package io.stratacache.testkit;

/** The conformance kit over the reference {@link HeapLayer}. */
class HeapLayerConformanceTest extends AbstractMemoryLayerTest {
  @Override
  protected LayerFactory factory() {
    return HeapLayer::new;
  }
}
