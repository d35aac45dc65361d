package io.stratacache.config;

import io.stratacache.spi.LayerSpec;
import java.util.List;

/**
 * A module's part of the configuration, found with {@link java.util.ServiceLoader} (a jar lists
 * its sections in {@code META-INF/services/io.stratacache.config.ConfigSection}), on the class
 * path, in the jars of the {@code plugins:} directories, or in a class loader given to the engine
 * builder. A section names its keys, their types and defaults ({@link Setting}), and checks what
 * the keys cannot check alone. The loader reads, converts and range-checks every key it declares,
 * so a module never parses YAML and every error names the file, line, key path, value and
 * expectation.
 *
 * <p>Two scopes:
 *
 * <ul>
 *   <li>{@link Scope#SECTION}: a top-level mapping such as {@code kv:}, read into {@link
 *       SectionValues} ({@link StrataConfig#section(String)}); a setting may also have a flat
 *       top-level name and is overridden by {@code STRATACACHE_<SECTION>_<KEY>} (and {@code
 *       STRATACACHE_<FLAT>}).
 *   <li>{@link Scope#TIER}: the settings of every tier whose {@code provider} is {@link #name()},
 *       besides {@link LayerSpec#COMMON_KEYS}. They stay in the tier's {@link LayerSpec}; the
 *       loader refuses keys that are not declared, values of the wrong type or out of range, then
 *       calls {@link #checkTier(LayerSpec)}, all before any tier opens.
 * </ul>
 */
public interface ConfigSection {
  /** Which part of the configuration a section describes. */
  enum Scope {
    /** A top-level mapping. */
    SECTION,
    /** The settings of the tiers of one provider. */
    TIER
  }

  /** The section's top-level key, or for {@link Scope#TIER} the provider's name. */
  String name();

  /** {@link Scope#SECTION} unless overridden. */
  default Scope scope() {
    return Scope.SECTION;
  }

  /** The keys, each once. */
  List<Setting<?>> settings();

  /**
   * Checks what single keys cannot: combinations of a {@link Scope#SECTION} section's values.
   * Runs after each value is converted and range-checked.
   *
   * @throws io.stratacache.core.ConfigException from {@link SectionValues#error}
   */
  default void check(SectionValues values) {}

  /**
   * Checks a tier of a {@link Scope#TIER} section without opening anything (no files created, no
   * memory reserved). Runs after each declared key is type- and range-checked.
   *
   * @throws io.stratacache.core.ConfigException from {@link LayerSpec#error}
   */
  default void checkTier(LayerSpec spec) {}
}
