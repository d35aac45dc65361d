package io.stratacache.backend.cpu;

import io.stratacache.testkit.ConformanceFor;
import java.util.Map;

/**
 * The conformance kit over the {@code cpu} provider at byte granularity (no padding between
 * artifacts) and with a slab that is not pre-touched.
 */
@ConformanceFor("cpu")
class CpuLayerByteAlignedConformanceTest extends CpuLayerConformanceTest {
  @Override
  Map<String, Object> settings() {
    return Map.of("alignment", 1, "pretouch", false);
  }
}
