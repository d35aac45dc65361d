package io.stratacache.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.stratacache.engine.StorageEngine;
import io.stratacache.params.ParamClient;
import io.stratacache.params.ParamKey;
import io.stratacache.params.ParamTensor;
import io.stratacache.params.Prefetcher;
import io.stratacache.params.StagingPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parameter adapter's meters follow its prefetcher's statistics. */
class PrefetchMetricsTest {
  @Test
  void groupsAndBytesLoaded_areCounted() {
    MeterRegistry registry = new SimpleMeterRegistry();
    try (StorageEngine engine = StorageEngine.builder().tier("cpu", "cpu", Map.of("capacity", "8MiB")).build();
        Arena arena = Arena.ofShared()) {
      ParamClient client = new ParamClient(engine);
      List<List<ParamTensor>> order = new ArrayList<>();
      for (int layer = 0; layer < 3; layer++) {
        MemorySegment bytes = arena.allocate(8192, 64);
        bytes.fill((byte) layer);
        order.add(List.of(client.putTensor(new ParamKey("m", "r", layer, "w", "F32", 0), new long[] {2048}, bytes, 16384)));
      }
      try (StagingPool pool = new StagingPool(4 * 8192); Prefetcher prefetcher = new Prefetcher(client, pool, 1)) {
        StrataMetrics.bind(engine, registry, Tags.of("plane", "t")).bind(prefetcher).close();
        try (Prefetcher.Pass pass = prefetcher.start(order)) {
          for (int layer = 0; layer < 3; layer++) {
            pass.await(layer);
            pass.release(layer);
          }
        }
        assertEquals(3.0, registry.get("stratacache.params.groups.loaded").tags("adapter", "params", "plane", "t").functionCounter().count());
        assertEquals(3.0 * 8192, registry.get("stratacache.params.loaded").functionCounter().count());
        assertTrue(registry.get("stratacache.params.load.time").functionCounter().count() > 0);
      }
    }
  }
}
