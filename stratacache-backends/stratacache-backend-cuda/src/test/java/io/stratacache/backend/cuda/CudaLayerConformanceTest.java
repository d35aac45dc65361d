package io.stratacache.backend.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.ProbeResult;
import io.stratacache.testkit.AbstractMemoryLayerTest;
import io.stratacache.testkit.ConformanceFor;
import io.stratacache.testkit.LayerFactory;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * The conformance kit over the {@code cuda} provider, on device 0 with small staging buffers (so
 * that artifacts cross several halves). Needs a GPU: skipped, with the probe's reason, where
 * there is none.
 */
@ConformanceFor("cuda")
class CudaLayerConformanceTest extends AbstractMemoryLayerTest {
  @BeforeAll
  static void needsAGpu() {
    ProbeResult probe = new CudaLayerProvider().probe();
    assumeTrue(probe.available(), () -> "no GPU here: " + probe.reason());
  }

  @Override
  protected LayerFactory factory() {
    return (tier, capacity, policy) -> LayerProviders.forName("cuda").open(LayerSpec.of(tier, "cuda",
        Map.of("capacity", capacity, "eviction_policy", policy, "staging_buffer", "64KiB", "staging_buffers", 4)));
  }
}
