package io.stratacache.config;

import io.stratacache.core.ConfigException;

/**
 * Where a configuration value came from, for messages: the source (a file, {@code environment}
 * or {@code builder}), the key path in the general form (e.g. {@code tiers[1].capacity}) or the
 * key as written (a flat key, an environment variable), and the line, 0 where there is none.
 */
record Origin(String source, String key, int line) {
  static Origin of(String source, String key) {
    return new Origin(source, key, 0);
  }

  /** The origin of key {@code name} inside this mapping, found on {@code line}. */
  Origin child(String name, int line) {
    return new Origin(source, key.isEmpty() ? name : key + "." + name, line);
  }

  /** The origin of item {@code index} of this list, found on {@code line}. */
  Origin item(int index, int line) {
    return new Origin(source, key + "[" + index + "]", line);
  }

  /** {@code source:line: key}, or {@code source: key} without a line. */
  String where() {
    return source + (line > 0 ? ":" + line : "") + ": " + key;
  }

  /** {@code where = value (expected: expected)}. */
  ConfigException error(Object value, String expected) {
    return new ConfigException(where() + " = " + render(value) + " (expected: " + expected + ")");
  }

  /** {@code where is missing (expected: expected)}. */
  ConfigException missing(String expected) {
    return new ConfigException(where() + " is missing (expected: " + expected + ")");
  }

  /** A value as it appears in messages: strings quoted, everything else as printed. */
  static String render(Object value) {
    return value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
  }
}
