package io.stratacache.backend.ssd;

import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.ProbeResult;

/** The {@code ssd} provider: artifacts as crash-safe record files in a directory. */
public final class SsdLayerProvider implements LayerProvider {
  @Override
  public String name() {
    return "ssd";
  }

  /** Always available: any writable directory will do, which {@link #open} checks. */
  @Override
  public ProbeResult probe() {
    return ProbeResult.ok();
  }

  /** Opens an {@link SsdLayer}; see {@link SsdConfig} for the settings. */
  @Override
  public MemoryLayer open(LayerSpec spec) {
    return SsdLayer.open(spec);
  }
}
