package io.stratacache.conformance;

import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The conformance kit over the {@code ssd} provider with its default settings, in a temporary directory. */
@ConformanceFor("ssd")
class SsdLayerConformanceTest extends AbstractMemoryLayerTest {
  @TempDir Path dir;
  private final Map<String, Path> directories = new HashMap<>();
  private int opened;

  @Override
  protected MemoryLayer newLayer(String tierName, long capacityBytes) {
    return newLayer(tierName, capacityBytes, "lru");
  }

  @Override
  protected MemoryLayer newLayer(String tierName, long capacityBytes, String evictionPolicy) {
    Path path = dir.resolve(tierName + "-" + opened++);
    directories.put(tierName, path);
    return open(tierName, path, capacityBytes, evictionPolicy);
  }

  @Override
  protected boolean isDurable() {
    return true;
  }

  @Override
  protected MemoryLayer reopen(String tierName, long capacityBytes) {
    return open(tierName, directories.get(tierName), capacityBytes, "lru");
  }

  private static MemoryLayer open(String tierName, Path path, long capacityBytes, String evictionPolicy) {
    return LayerProviders.forName("ssd").open(LayerSpec.of(tierName, "ssd",
        Map.of("path", path.toString(), "capacity", capacityBytes, "eviction_policy", evictionPolicy)));
  }
}
