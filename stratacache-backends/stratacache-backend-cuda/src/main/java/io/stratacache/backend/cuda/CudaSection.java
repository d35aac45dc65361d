package io.stratacache.backend.cuda;

import io.stratacache.config.ConfigSection;
import io.stratacache.config.Setting;
import io.stratacache.spi.LayerSpec;
import java.util.List;

/**
 * The settings of a tier of provider {@code cuda}, declared for the configuration loader; {@link
 * CudaConfig} documents them and checks their ranges and combinations.
 */
public final class CudaSection implements ConfigSection {
  @Override
  public String name() {
    return CudaLayerProvider.NAME;
  }

  @Override
  public Scope scope() {
    return Scope.TIER;
  }

  @Override
  public List<Setting<?>> settings() {
    return List.of(
        Setting.integer("device", 0),
        Setting.number("capacity_fraction", null),
        Setting.integer("alignment", 256),
        Setting.size("staging_buffer", 8L << 20),
        Setting.integer("staging_buffers", 4));
  }

  /** {@link CudaConfig#from}: ranges, and exactly one of capacity and capacity_fraction. */
  @Override
  public void checkTier(LayerSpec spec) {
    CudaConfig.from(spec);
  }
}
