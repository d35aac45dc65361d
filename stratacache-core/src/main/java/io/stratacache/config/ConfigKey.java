package io.stratacache.config;

import io.stratacache.core.ByteSize;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * The scalar settings the core reads itself ({@code chain:}, {@code writeback:}) and the original
 * StrataCache's flat keys that shape the tiers and links: where each sits in the general form
 * ({@link #section()}{@code .}{@link #key()}), its flat name (if any) and its type. Other modules'
 * settings are declared by their {@link ConfigSection}s.
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

  /** The environment variable that overrides {@code key}: {@code STRATACACHE_KEY}, '.' as '_'. */
  static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_');
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
