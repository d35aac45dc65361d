package io.stratacache.backend.ssd;

import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.ProbeResult;

/** The {@code ssd} provider: artifacts as crash-safe record files in a directory. */
public final class SsdLayerProvider implements LayerProvider {
  /** The provider's configuration name. */
  public static final String NAME = "ssd";

  @Override
  public String name() {
    return NAME;
  }

  /** Always available: any writable directory will do, which {@link #open} checks. */
  @Override
  public ProbeResult probe() {
    return ProbeResult.ok();
  }

  /**
   * Opens an {@link SsdLayer}; see {@link SsdConfig} for the settings. The directory is created
   * first if missing.
   *
   * @throws io.stratacache.core.ConfigException naming the tier's {@code path} key if the path is
   *     not a directory or cannot be created
   */
  @Override
  public MemoryLayer open(LayerSpec spec) {
    SsdConfig config = SsdConfig.from(spec);
    SsdConfig.createDirectory(spec, config.path());
    return SsdLayer.open(spec.tier(), config);
  }
}
