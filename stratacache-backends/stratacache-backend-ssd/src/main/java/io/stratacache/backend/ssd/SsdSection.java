package io.stratacache.backend.ssd;

import io.stratacache.config.ConfigSection;
import io.stratacache.config.ExpirySettings;
import io.stratacache.config.FileAccessSettings;
import io.stratacache.config.Setting;
import io.stratacache.spi.LayerSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The settings of a tier of provider {@code ssd}, declared for the configuration loader; {@link
 * SsdConfig} documents them and checks their ranges and combinations.
 */
public final class SsdSection implements ConfigSection {
  @Override
  public String name() {
    return SsdLayerProvider.NAME;
  }

  @Override
  public Scope scope() {
    return Scope.TIER;
  }

  @Override
  public List<Setting<?>> settings() {
    List<Setting<?>> settings = new ArrayList<>(List.of(
        Setting.path("path", null),
        Setting.choice("fsync", "batch", "always", "never", "batch"),
        Setting.integer("fsync_interval_ms", 1000)));
    settings.addAll(ExpirySettings.settings());
    settings.add(Setting.integer("alignment", SsdConfig.DEFAULT_ALIGNMENT));
    settings.add(Setting.choice("verify", "once", "always", "once"));
    settings.addAll(FileAccessSettings.settings());
    return List.copyOf(settings);
  }

  /** {@link SsdConfig#from}, and that {@code path} is a directory or can be created. */
  @Override
  public void checkTier(LayerSpec spec) {
    SsdConfig.checkDirectory(spec, SsdConfig.from(spec).path());
  }
}
