package io.stratacache.config;

import io.stratacache.core.ConfigException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The values of one {@link ConfigSection} of {@link ConfigSection.Scope#SECTION} scope, converted
 * and checked, with unset keys at their defaults. Immutable; equal when the section name and
 * values are equal.
 */
public final class SectionValues {
  private final ConfigSection section;
  private final Map<String, Object> values;
  private final Function<String, Origin> origins;

  SectionValues(ConfigSection section, Map<String, Object> values, Function<String, Origin> origins) {
    this.section = section;
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    this.origins = origins;
  }

  /** The section's name, e.g. {@code kv}. */
  public String name() {
    return section.name();
  }

  /**
   * The value of {@code setting}, or its default.
   *
   * @throws IllegalArgumentException if the section does not declare {@code setting}
   */
  @SuppressWarnings("unchecked")
  public <T> T get(Setting<T> setting) {
    Objects.requireNonNull(setting, "setting");
    if (!section.settings().contains(setting)) {
      throw new IllegalArgumentException("setting " + setting.key() + " (expected: one of the settings of section "
          + name() + ", " + values.keySet() + ")");
    }
    return (T) values.get(setting.key());
  }

  /** Every value by key, defaults included. */
  public Map<String, Object> asMap() {
    return values;
  }

  /**
   * An error for {@code key} of this section: {@code source:line: section.key = value (expected:
   * expected)}.
   */
  public ConfigException error(String key, Object value, String expected) {
    return origins.apply(name() + "." + key).error(value, expected);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SectionValues s && s.name().equals(name()) && s.values.equals(values);
  }

  @Override
  public int hashCode() {
    return name().hashCode() * 31 + values.hashCode();
  }

  @Override
  public String toString() {
    return name() + values;
  }
}
