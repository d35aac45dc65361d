package io.stratacache.config;

import io.stratacache.spi.LayerSpec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One tier of the chain: its name, the provider that opens it and the provider's settings.
 *
 * @param name unique tier name (e.g. {@code hot}, {@code ssd})
 * @param provider a {@link io.stratacache.spi.LayerProvider#name()}
 * @param settings provider settings, passed through to {@link LayerSpec}, and the engine's
 *     {@link Watermarks} keys
 */
public record TierConfig(String name, String provider, Map<String, Object> settings) {
  public TierConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(provider, "provider");
    settings = settings == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(settings));
  }

  /** The spec a provider opens this tier from; {@code source} names the file for messages. */
  public LayerSpec toSpec(String source) {
    return new LayerSpec(name, provider, providerSettings(), source);
  }

  /** The settings the provider reads: all but the engine's {@link Watermarks#KEYS}. */
  public Map<String, Object> providerSettings() {
    Map<String, Object> m = new LinkedHashMap<>(settings);
    m.keySet().removeAll(Watermarks.KEYS);
    return m;
  }

  /**
   * The tier's {@link Watermarks}.
   *
   * @throws IllegalArgumentException if its watermark keys are invalid (a checked configuration's are not)
   */
  public Watermarks watermarks() {
    return Watermarks.of(settings);
  }
}
