package io.stratacache.kv;

import io.stratacache.config.ConfigSection;
import io.stratacache.config.Setting;
import java.util.List;

/** Section {@code telemetry:} of the configuration: where the KV-cache adapter's telemetry goes. */
public final class TelemetrySection implements ConfigSection {
  /** {@code none} or {@code log}; flat name {@code telemetry.export}. */
  public static final Setting<String> EXPORT = Setting.choice("export", "none", "none", "log").flat("telemetry.export");

  /** The section's name. */
  public static final String NAME = "telemetry";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Setting<?>> settings() {
    return List.of(EXPORT);
  }
}
