package io.stratacache.spi;

import io.stratacache.core.ByteSize;
import io.stratacache.core.ConfigException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * How to open one tier: its name, its provider and the provider's settings, and where they were
 * written. Typed getters fail with a {@link ConfigException} that names the source and line, the
 * key path, the value and what was expected, e.g. {@code config.yaml:5: tiers[0].pretouch =
 * "maybe" (expected: true or false)}.
 *
 * @param tier the tier's name in the chain (e.g. {@code hot})
 * @param provider the {@link LayerProvider#name()} to open it with
 * @param settings provider settings (strings, numbers, booleans, lists)
 * @param source where the spec came from, for messages (a file name or {@code builder})
 * @param path the tier's key path in messages: {@code tiers[i]} for a tier of a configuration,
 *     {@code tiers.NAME} for a spec made in code
 * @param lines the line of each setting in {@code source}, and under the empty key the line of
 *     the tier itself; a key without a line is named without one
 */
public record LayerSpec(
    String tier, String provider, Map<String, Object> settings, String source, String path, Map<String, Integer> lines) {
  /** Every provider understands these keys. */
  public static final Set<String> COMMON_KEYS = Set.of("capacity", "eviction_policy", "optional");

  public LayerSpec {
    Objects.requireNonNull(tier, "tier");
    Objects.requireNonNull(provider, "provider");
    settings = settings == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    source = source == null ? "builder" : source;
    path = path == null ? "tiers." + tier : path;
    lines = lines == null ? Map.of() : Map.copyOf(lines);
  }

  /** A spec without lines, named {@code tiers.TIER} in messages. */
  public LayerSpec(String tier, String provider, Map<String, Object> settings, String source) {
    this(tier, provider, settings, source, null, null);
  }

  /** A spec from code, with the given settings. */
  public static LayerSpec of(String tier, String provider, Map<String, Object> settings) {
    return new LayerSpec(tier, provider, settings, "builder");
  }

  /** A copy with {@code key} set to {@code value}. */
  public LayerSpec with(String key, Object value) {
    Map<String, Object> m = new LinkedHashMap<>(settings);
    m.put(key, value);
    return new LayerSpec(tier, provider, m, source, path, lines);
  }

  /**
   * Fails if a setting is neither in {@code known} nor a {@linkplain #COMMON_KEYS common key}.
   *
   * @throws ConfigException naming the unknown key and listing the known ones
   */
  public void requireKnownKeys(Set<String> known) {
    for (String key : settings.keySet()) {
      if (!known.contains(key) && !COMMON_KEYS.contains(key)) {
        Set<String> all = new TreeSet<>(known);
        all.addAll(COMMON_KEYS);
        throw error(key, settings.get(key), "one of the keys " + all + " of provider '" + provider + "'");
      }
    }
  }

  /**
   * Whether the tier is optional (key {@code optional}, default {@code false}): an optional tier
   * whose provider is unavailable here, or that cannot open, is left out of the engine with one
   * line saying why, and the engine starts without it.
   */
  public boolean optional() {
    return bool("optional", false);
  }

  /** The tier's capacity in bytes (key {@code capacity}), which must be positive. */
  public long capacityBytes() {
    long c = bytes("capacity", -1);
    if (c <= 0) {
      throw error("capacity", settings.get("capacity"), "a positive size such as 512MiB");
    }
    return c;
  }

  /** The eviction policy named by {@code eviction_policy} (default {@code lru}). */
  public EvictionPolicy evictionPolicy() {
    String name = string("eviction_policy", "lru");
    try {
      return EvictionPolicy.forName(name);
    } catch (IllegalArgumentException e) {
      throw error("eviction_policy", name, e.getMessage());
    }
  }

  public boolean has(String key) {
    return settings.containsKey(key);
  }

  public String string(String key, String dflt) {
    Object v = settings.get(key);
    if (v == null) {
      return dflt;
    }
    if (v instanceof String || v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    throw error(key, v, "a string");
  }

  public long bytes(String key, long dflt) {
    Object v = settings.get(key);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Number n && n.longValue() >= 0 && n.doubleValue() == n.longValue()) {
      return n.longValue();
    }
    if (v instanceof String s) {
      try {
        return ByteSize.parse(s);
      } catch (IllegalArgumentException e) {
        throw error(key, v, "a size such as 512MiB");
      }
    }
    throw error(key, v, "a size such as 512MiB");
  }

  public long integer(String key, long dflt) {
    Object v = settings.get(key);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Number n && n.doubleValue() == n.longValue()) {
      return n.longValue();
    }
    if (v instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        throw error(key, v, "an integer");
      }
    }
    throw error(key, v, "an integer");
  }

  public double number(String key, double dflt) {
    Object v = settings.get(key);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    if (v instanceof String s) {
      try {
        return Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        throw error(key, v, "a number");
      }
    }
    throw error(key, v, "a number");
  }

  public boolean bool(String key, boolean dflt) {
    Object v = settings.get(key);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
      return Boolean.parseBoolean(s);
    }
    throw error(key, v, "true or false");
  }

  /** A path setting; a leading {@code ~/} is the user's home directory. */
  public Path path(String key, Path dflt) {
    String s = string(key, null);
    if (s == null) {
      return dflt;
    }
    if (s.isBlank()) {
      throw error(key, s, "a path");
    }
    if (s.equals("~") || s.startsWith("~/")) {
      s = System.getProperty("user.home") + s.substring(1);
    }
    return Path.of(s);
  }

  /**
   * Where {@code key} was written: {@code source:line: path.key}, the line being the key's own, else
   * the tier's, else none.
   */
  public String where(String key) {
    Integer line = lines.get(key);
    if (line == null) {
      line = lines.get("");
    }
    return source + (line == null || line <= 0 ? "" : ":" + line) + ": " + path + "." + key;
  }

  /**
   * A {@link ConfigException} for {@code key} with value {@code value}: {@code where(key) = value
   * (expected: expected)}.
   */
  public ConfigException error(String key, Object value, String expected) {
    return new ConfigException(
        where(key) + " = " + (value instanceof String ? "\"" + value + "\"" : value) + " (expected: " + expected + ")");
  }
}
