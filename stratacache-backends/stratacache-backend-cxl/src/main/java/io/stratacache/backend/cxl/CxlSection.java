package io.stratacache.backend.cxl;

import io.stratacache.config.ConfigSection;
import io.stratacache.config.ExpirySettings;
import io.stratacache.config.FileAccessSettings;
import io.stratacache.config.Setting;
import io.stratacache.spi.LayerSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The settings of a tier of provider {@code cxl}, declared for the configuration loader; {@link
 * CxlConfig} documents them and checks their ranges and combinations.
 */
public final class CxlSection implements ConfigSection {
  @Override
  public String name() {
    return CxlLayerProvider.NAME;
  }

  @Override
  public Scope scope() {
    return Scope.TIER;
  }

  @Override
  public List<Setting<?>> settings() {
    List<Setting<?>> settings = new ArrayList<>(List.of(
        Setting.path("path", null),
        Setting.path("device", null),
        Setting.size("size", null),
        Setting.bool("reset_metadata", false),
        Setting.integer("alignment", 4096),
        Setting.integer("block_size", 4096),
        Setting.integer("slots", null),
        Setting.size("expected_artifact_size", CxlConfig.DEFAULT_EXPECTED_ARTIFACT_BYTES),
        Setting.integer("max_processes", 32),
        Setting.integer("lock_lease_ms", 10_000),
        Setting.choice("verify", "once", "always", "once"),
        Setting.bool("exclusive", false)));
    settings.addAll(ExpirySettings.settings());
    settings.addAll(FileAccessSettings.settings());
    return List.copyOf(settings);
  }

  /** {@link CxlConfig#from}: ranges, {@code path} or {@code device}, alignment within a block. */
  @Override
  public void checkTier(LayerSpec spec) {
    CxlConfig.from(spec);
  }
}
