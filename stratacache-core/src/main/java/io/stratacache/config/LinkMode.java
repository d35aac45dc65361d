package io.stratacache.config;

import java.util.Locale;

/** How a store in an upper tier reaches the tier below it. */
public enum LinkMode {
  /** The store returns after every tier of the link has the bytes. */
  WRITE_THROUGH,
  /** The store returns after the upper tier has the bytes; a background worker writes them down. */
  WRITE_BACK;

  /** The configuration spelling: {@code write-through} or {@code write-back}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * Parses {@code write-through} / {@code write-back} (also with '_', any case).
   *
   * @throws IllegalArgumentException naming the value and the valid ones
   */
  public static LinkMode parse(String s) {
    String n = s.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (LinkMode m : values()) {
      if (m.name().equals(n)) {
        return m;
      }
    }
    throw new IllegalArgumentException("link mode \"" + s + "\" (expected: write-through or write-back)");
  }
}
