package io.stratacache.config;

import io.stratacache.core.ConfigException;
import io.stratacache.spi.EvictionPolicy;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Plugins;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@link ConfigSection}s found in a set of {@link Plugins} places, by scope and name, and the
 * checks they declare for tiers. Section names are unique and never one of the keys the core
 * reads itself ({@link #CORE_KEYS}).
 */
public final class ConfigSections {
  /** Top-level keys the core reads itself; no section may take them. */
  public static final Set<String> CORE_KEYS = Set.of("tiers", "links", "chain", "writeback", "plugins");

  private final Map<String, ConfigSection> sections;
  private final Map<String, ConfigSection> tiers;

  private ConfigSections(Map<String, ConfigSection> sections, Map<String, ConfigSection> tiers) {
    this.sections = Collections.unmodifiableMap(sections);
    this.tiers = Collections.unmodifiableMap(tiers);
  }

  /**
   * The sections in {@code plugins}' places.
   *
   * @throws ConfigException if two sections of one scope share a name, a section takes a core
   *     key, or a section declares a key twice
   */
  public static ConfigSections in(Plugins plugins) {
    Objects.requireNonNull(plugins, "plugins");
    Map<String, ConfigSection> sections = new TreeMap<>();
    Map<String, ConfigSection> tiers = new TreeMap<>();
    Map<String, String> places = new LinkedHashMap<>();
    for (Plugins.Found<ConfigSection> f : plugins.load(ConfigSection.class)) {
      ConfigSection s = f.service();
      String what = s.getClass().getName() + " (from " + f.place() + ")";
      String name = s.name();
      if (name == null || !name.matches("[a-z][a-z0-9_-]*")) {
        throw new ConfigException("configuration section " + what + " has name \"" + name
            + "\" (expected: lower-case ASCII letters, digits, '_' and '-')");
      }
      boolean tier = s.scope() == ConfigSection.Scope.TIER;
      if (!tier && CORE_KEYS.contains(name)) {
        throw new ConfigException("configuration section " + what + " is named \"" + name
            + "\" (expected: a name other than the core's keys " + new TreeSet<>(CORE_KEYS) + ")");
      }
      Set<String> keys = new TreeSet<>();
      for (Setting<?> setting : s.settings()) {
        if (!keys.add(setting.key()) || (tier && LayerSpec.COMMON_KEYS.contains(setting.key()))) {
          throw new ConfigException("configuration section " + what + " declares key " + setting.key()
              + (tier ? " that is declared twice or is a key every tier has" : " twice") + " (expected: each key once)");
        }
      }
      Map<String, ConfigSection> target = tier ? tiers : sections;
      ConfigSection previous = target.putIfAbsent(name, s);
      String id = (tier ? "tier:" : "") + name;
      if (previous != null) {
        throw new ConfigException("two configuration sections are named \"" + name + "\": " + previous.getClass().getName()
            + " (from " + places.get(id) + ") and " + what + " (expected: one per name)");
      }
      places.put(id, f.place());
    }
    return new ConfigSections(sections, tiers);
  }

  /** The top-level sections by name. */
  public Map<String, ConfigSection> sections() {
    return sections;
  }

  /** Whether a {@link ConfigSection.Scope#TIER} section declares the settings of {@code provider}. */
  public boolean describes(String provider) {
    return tiers.containsKey(provider);
  }

  /** Whether the section of {@code provider} declares the tier setting {@code key}. */
  public boolean declares(String provider, String key) {
    ConfigSection section = tiers.get(provider);
    return section != null && section.settings().stream().anyMatch(s -> s.key().equals(key));
  }

  /**
   * Checks the settings of a tier: the common keys always; with a section for its provider, also
   * that every key is declared, each declared key's type and range, and the section's own {@link
   * ConfigSection#checkTier}. Nothing is opened.
   *
   * @throws ConfigException from {@link LayerSpec#error}, naming where the key was written
   */
  public void checkTier(LayerSpec spec) {
    Objects.requireNonNull(spec, "spec");
    if (spec.has("capacity")) {
      long bytes = spec.bytes("capacity", 0);
      if (bytes <= 0) {
        throw spec.error("capacity", spec.settings().get("capacity"), "a positive size such as 512MiB");
      }
    }
    spec.optional();
    if (spec.has("eviction_policy")) {
      Object policy = spec.settings().get("eviction_policy");
      try {
        EvictionPolicy.forName(spec.string("eviction_policy", null));
      } catch (IllegalArgumentException e) {
        throw spec.error("eviction_policy", policy, "a policy the layers know: " + e.getMessage());
      }
    }
    ConfigSection section = tiers.get(spec.provider());
    if (section == null) {
      return;
    }
    Map<String, Setting<?>> declared = new LinkedHashMap<>();
    section.settings().forEach(s -> declared.put(s.key(), s));
    for (String key : spec.settings().keySet()) {
      if (!declared.containsKey(key) && !LayerSpec.COMMON_KEYS.contains(key)) {
        Set<String> all = new TreeSet<>(declared.keySet());
        all.addAll(LayerSpec.COMMON_KEYS);
        throw spec.error(key, spec.settings().get(key), "one of the keys " + all + " of provider '" + spec.provider() + "'");
      }
    }
    for (Setting<?> s : declared.values()) {
      s.checkIn(spec);
    }
    section.checkTier(spec);
  }

  /** Every top-level key a section or a flat name takes, for messages. */
  Set<String> topLevelKeys() {
    Set<String> keys = new TreeSet<>(sections.keySet());
    for (ConfigSection s : sections.values()) {
      for (Setting<?> setting : s.settings()) {
        if (setting.flatName() != null) {
          keys.add(setting.flatName());
        }
      }
    }
    return keys;
  }
}
