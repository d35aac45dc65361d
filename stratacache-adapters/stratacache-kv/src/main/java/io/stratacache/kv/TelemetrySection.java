package io.stratacache.kv;

import io.stratacache.config.ConfigSection;
import io.stratacache.config.Setting;
import java.util.List;

/**
 * Section {@code telemetry:} of the configuration: where telemetry goes. {@code export: log} has
 * the KV-cache adapter log its statistics; {@code export: prometheus} has an application that uses
 * the metrics module serve its meters for scraping at {@code http://HOST:PORT/metrics}.
 */
public final class TelemetrySection implements ConfigSection {
  /** {@code none}, {@code log} or {@code prometheus}; flat name {@code telemetry.export}. */
  public static final Setting<String> EXPORT = Setting.choice("export", "none", "none", "log", "prometheus").flat("telemetry.export");

  /** The address the Prometheus endpoint binds: loopback unless configured otherwise. */
  public static final Setting<String> PROMETHEUS_HOST = Setting.string("prometheus_host", "127.0.0.1")
      .check(h -> !h.isBlank(), "a host name or IP address to bind, such as 127.0.0.1 or 0.0.0.0");

  /** The port of the Prometheus endpoint; 0 picks a free one. */
  public static final Setting<Integer> PROMETHEUS_PORT = Setting.integer("prometheus_port", 9464)
      .check(p -> p >= 0 && p <= 65535, "a TCP port, 0 to 65535 (0: any free port)");

  /** The section's name. */
  public static final String NAME = "telemetry";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Setting<?>> settings() {
    return List.of(EXPORT, PROMETHEUS_HOST, PROMETHEUS_PORT);
  }
}
