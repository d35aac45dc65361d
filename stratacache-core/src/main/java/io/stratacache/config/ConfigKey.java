package io.stratacache.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every scalar setting outside {@code tiers:} and {@code links:}: where it sits in the general
 * form ({@link #section()}{@code .}{@link #key()}), its flat name from the original StrataCache
 * (if any), its type, and the environment variables that override it.
 */
enum ConfigKey {
  PROMOTE_ON_HIT("chain", "promote_on_hit", null, Kind.BOOL),
  DEMOTE_ON_EVICT("chain", "demote_on_evict", null, Kind.BOOL),
  FLUSH_INTERVAL("writeback", "flush_interval_ms", null, Kind.MILLIS),
  RETRY_BACKOFF_MIN("writeback", "retry_backoff_min_ms", null, Kind.MILLIS),
  RETRY_BACKOFF_MAX("writeback", "retry_backoff_max_ms", null, Kind.MILLIS),
  CLOSE_TIMEOUT("writeback", "close_timeout_ms", null, Kind.MILLIS),
  MAX_DIRTY_BYTES("writeback", "max_dirty_bytes", null, Kind.SIZE),
  BACKPRESSURE("writeback", "backpressure", null, Kind.BACKPRESSURE),
  CHUNK_SIZE("kv", "chunk_size", "chunk_size", Kind.INT),
  BUNDLE_LAYERS("kv", "bundle_layers", "bundle_layers", Kind.BOOL),
  SAVE_PARTIAL_CHUNKS("kv", "save_partial_chunks", "save_partial_chunks", Kind.BOOL),
  TENSOR_CODEC("kv", "tensor_codec", "tensor_codec", Kind.STRING),
  TENSOR_HEADER_IN_PAYLOAD("kv", "tensor_header_in_payload", "tensor_header_in_payload", Kind.BOOL),
  LOG_STATS("logging", "log_stats", "log_stats", Kind.BOOL),
  LOG_EVERY("logging", "log_every", "log_every", Kind.INT),
  LOG_MIN_INTERVAL_S("logging", "log_min_interval_s", "log_min_interval_s", Kind.NUMBER),
  DEBUG("logging", "debug", "debug", Kind.BOOL),
  TELEMETRY_EXPORT("telemetry", "export", "telemetry.export", Kind.STRING),
  // flat keys that shape the tiers and links rather than a section
  USE_CXL(null, null, "use_cxl", Kind.BOOL),
  WRITEBACK(null, null, "writeback", Kind.BOOL),
  CPU_CAPACITY_MB(null, null, "cpu_capacity_mb", Kind.INT),
  CXL_DAX_DEVICE(null, null, "cxl_dax_device", Kind.STRING),
  CXL_RESET_METADATA(null, null, "cxl_reset_metadata", Kind.BOOL);

  /** Prefix of the environment variables that override single keys. */
  static final String ENV_PREFIX = "STRATACACHE_";

  private final String section;
  private final String key;
  private final String flat;
  private final Kind kind;

  ConfigKey(String section, String key, String flat, Kind kind) {
    this.section = section;
    this.key = key;
    this.flat = flat;
    this.kind = kind;
  }

  /** The section of the general form, or {@code null} for a flat-only key. */
  String section() {
    return section;
  }

  /** The key inside {@link #section()}, or {@code null} for a flat-only key. */
  String key() {
    return key;
  }

  /** The original StrataCache's flat key, or {@code null}. */
  String flat() {
    return flat;
  }

  Kind kind() {
    return kind;
  }

  /** {@code section.key}, or the flat key where there is no section. */
  String path() {
    return section == null ? flat : section + "." + key;
  }

  /** The environment variables that override this key: from the flat key and from the path. */
  List<String> envNames() {
    List<String> names = new ArrayList<>(2);
    if (flat != null) {
      names.add(envName(flat));
    }
    if (section != null && !names.contains(envName(path()))) {
      names.add(envName(path()));
    }
    return names;
  }

  private static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  /** The key called {@code key} in {@code section}, or {@code null}. */
  static ConfigKey inSection(String section, String key) {
    for (ConfigKey k : values()) {
      if (section.equals(k.section) && key.equals(k.key)) {
        return k;
      }
    }
    return null;
  }

  /** The keys of {@code section}, sorted. */
  static Set<String> keysOf(String section) {
    Set<String> keys = new TreeSet<>();
    for (ConfigKey k : values()) {
      if (section.equals(k.section)) {
        keys.add(k.key);
      }
    }
    return keys;
  }

  /** The key whose flat name is {@code flat}, or {@code null}. */
  static ConfigKey forFlat(String flat) {
    for (ConfigKey k : values()) {
      if (flat.equals(k.flat)) {
        return k;
      }
    }
    return null;
  }

  /** Every flat key, sorted. */
  static Set<String> flatKeys() {
    Set<String> keys = new TreeSet<>();
    for (ConfigKey k : values()) {
      if (k.flat != null) {
        keys.add(k.flat);
      }
    }
    return keys;
  }

  /** The key that environment variable {@code name} overrides, or {@code null}. */
  static ConfigKey forEnv(String name) {
    for (ConfigKey k : values()) {
      if (k.envNames().contains(name)) {
        return k;
      }
    }
    return null;
  }

  /** Every environment variable that overrides a key, sorted. */
  static Set<String> envNamesAll() {
    Set<String> names = new TreeSet<>();
    for (ConfigKey k : values()) {
      names.addAll(k.envNames());
    }
    return names;
  }

  /**
   * The type of a setting: how a YAML scalar (or, for the environment, a string) becomes the
   * value the records hold. Ranges are checked later, with the records, by {@link ConfigCheck}.
   */
  enum Kind {
    BOOL("true or false"),
    INT("an integer"),
    MILLIS("a whole number of milliseconds"),
    NUMBER("a number"),
    SIZE("a size such as 512MiB or 1GiB"),
    STRING("a string"),
    BACKPRESSURE("block or write-through");

    private static final Set<String> TRUE = Set.of("true", "yes", "on", "1");
    private static final Set<String> FALSE = Set.of("false", "no", "off", "0");

    private final String expected;

    Kind(String expected) {
      this.expected = expected;
    }

    String expected() {
      return expected;
    }

    /**
     * Converts a YAML scalar (a {@link String}, {@link Long}, {@link Double}, {@link Boolean}) to
     * this kind: {@link Boolean}, {@link Integer}, {@link Duration}, {@link Double}, {@link Long}
     * bytes, {@link String} or {@link WritebackConfig.Backpressure}.
     *
     * @throws io.stratacache.core.ConfigException naming {@code origin} if it has another type
     */
    Object convert(Object value, Origin origin) {
      Object out = switch (this) {
        case BOOL -> value instanceof Boolean ? value : null;
        case INT -> value instanceof Long l && l == l.intValue() ? (Object) l.intValue() : null;
        case MILLIS -> value instanceof Long l ? Duration.ofMillis(l) : null;
        case NUMBER -> value instanceof Long || value instanceof Double ? (Object) ((Number) value).doubleValue() : null;
        case SIZE -> size(value);
        case STRING -> value instanceof String ? value : null;
        case BACKPRESSURE -> backpressure(value);
      };
      if (out == null) {
        throw origin.error(value, value instanceof Long && this == INT ? "an integer of at most 2147483647" : expected);
      }
      return out;
    }

    /** Converts the text of an environment variable, as {@link #convert} converts YAML. */
    Object convertText(String text, Origin origin) {
      String t = text.strip();
      Object typed = switch (this) {
        case BOOL -> TRUE.contains(t.toLowerCase(Locale.ROOT))
            ? Boolean.TRUE
            : FALSE.contains(t.toLowerCase(Locale.ROOT)) ? Boolean.FALSE : text;
        case INT, MILLIS -> parseLong(t, text);
        case NUMBER -> parseDouble(t, text);
        case SIZE, STRING, BACKPRESSURE -> text;
      };
      return convert(typed, origin);
    }

    private static Object parseLong(String t, String text) {
      try {
        return Long.parseLong(t);
      } catch (NumberFormatException e) {
        return text;
      }
    }

    private static Object parseDouble(String t, String text) {
      try {
        return Double.parseDouble(t);
      } catch (NumberFormatException e) {
        return text;
      }
    }

    /** As {@link io.stratacache.spi.LayerSpec#bytes}: a whole, non-negative number or a size text. */
    private static Object size(Object value) {
      if (value instanceof Number n) {
        return n.longValue() >= 0 && n.doubleValue() == n.longValue() ? (Object) n.longValue() : null;
      }
      if (value instanceof String s) {
        try {
          return ByteSize.parse(s);
        } catch (IllegalArgumentException e) {
          return null;
        }
      }
      return null;
    }

    private static Object backpressure(Object value) {
      if (value instanceof String s) {
        String n = s.strip().toUpperCase(Locale.ROOT).replace('-', '_');
        for (WritebackConfig.Backpressure b : WritebackConfig.Backpressure.values()) {
          if (b.name().equals(n)) {
            return b;
          }
        }
      }
      return null;
    }
  }
}
