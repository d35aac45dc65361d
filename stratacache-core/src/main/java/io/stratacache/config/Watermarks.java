package io.stratacache.config;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A tier's watermarks, fractions of its capacity: when the tier holds more than {@code high}, the
 * engine's maintenance evicts (demoting what no lower tier holds) until it holds at most {@code
 * low}, in the background, so that stores into the tier find room without waiting for a lower
 * tier's write. A store that finds the tier full still makes room itself. Set as the tier keys
 * {@code high_watermark} and {@code low_watermark}; the engine reads them and does not pass them to
 * the provider. {@code high_watermark: 1.0} turns maintenance off for the tier. The last tier has
 * no tier below to demote to, and layers that cannot evict ahead of demand ({@link
 * io.stratacache.spi.Reclaimable}) are left to evict on demand.
 *
 * @param high above this fraction of capacity maintenance starts, in (0, 1]
 * @param low maintenance stops at or below this fraction, in [0, high)
 */
public record Watermarks(double high, double low) {
  /** The tier key of {@link #high()}. */
  public static final String HIGH_KEY = "high_watermark";
  /** The tier key of {@link #low()}. */
  public static final String LOW_KEY = "low_watermark";
  /** Tier keys the engine reads itself. */
  public static final Set<String> KEYS = Set.of(HIGH_KEY, LOW_KEY);
  /** Start at 95% of capacity, stop at 85%. */
  public static final Watermarks DEFAULTS = new Watermarks(0.95, 0.85);

  /**
   * @throws IllegalArgumentException naming the value if {@code high} is not in (0, 1], {@code low}
   *     not in [0, high)
   */
  public Watermarks {
    Invalid bad = check(high, low);
    if (bad != null) {
      throw bad.exception();
    }
  }

  /** A watermark key whose value is wrong, and what was expected of it. */
  record Invalid(String key, Object value, String expected) {
    IllegalArgumentException exception() {
      return new IllegalArgumentException(key + ": " + (value instanceof String ? "\"" + value + "\"" : value)
          + " (expected: " + expected + ")");
    }
  }

  private static Invalid check(double high, double low) {
    if (!(high > 0 && high <= 1)) {
      return new Invalid(HIGH_KEY, high, "a fraction of capacity in (0, 1], such as 0.95");
    }
    if (!(low >= 0 && low < high)) {
      return new Invalid(LOW_KEY, low, "a fraction of capacity from 0 to below " + HIGH_KEY + ", " + high);
    }
    return null;
  }

  /** Whether maintenance ever acts on the tier ({@code high} below 1). */
  public boolean active() {
    return high < 1;
  }

  /** Bytes above which maintenance starts on a tier of {@code capacity} bytes. */
  public long highBytes(long capacity) {
    return (long) Math.floor(capacity * high);
  }

  /** Bytes at or below which maintenance stops on a tier of {@code capacity} bytes. */
  public long lowBytes(long capacity) {
    return (long) Math.floor(capacity * low);
  }

  /**
   * The watermarks a tier's settings give, the defaults for keys not set. A high watermark given
   * alone keeps the default gap below it for the low one (at least 0).
   *
   * @throws IllegalArgumentException naming the key, the value and what was expected
   */
  public static Watermarks of(Map<String, Object> settings) {
    Invalid bad = invalid(settings);
    if (bad != null) {
      throw bad.exception();
    }
    Double high = fraction(settings.get(HIGH_KEY));
    Double low = fraction(settings.get(LOW_KEY));
    double h = high == null ? DEFAULTS.high : high;
    return new Watermarks(h, low != null ? low : high == null ? DEFAULTS.low : defaultLowBelow(h));
  }

  /** What is wrong with the watermark keys of {@code settings} (the value as written), or {@code null}. */
  static Invalid invalid(Map<String, Object> settings) {
    Object hv = settings.get(HIGH_KEY);
    Object lv = settings.get(LOW_KEY);
    Double high = fraction(hv);
    Double low = fraction(lv);
    if (hv != null && high == null) {
      return new Invalid(HIGH_KEY, hv, "a fraction of capacity such as 0.95");
    }
    if (lv != null && low == null) {
      return new Invalid(LOW_KEY, lv, "a fraction of capacity such as 0.85");
    }
    double h = high == null ? DEFAULTS.high : high;
    Invalid bad = check(h, low != null ? low : high == null ? DEFAULTS.low : defaultLowBelow(h));
    if (bad == null) {
      return null;
    }
    return new Invalid(bad.key(), bad.key().equals(HIGH_KEY) ? hv : lv, bad.expected());
  }

  private static double defaultLowBelow(double high) {
    return Math.max(0, high - (DEFAULTS.high - DEFAULTS.low));
  }

  private static Double fraction(Object v) {
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    if (v instanceof String s) {
      try {
        return Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "{high: %s, low: %s}", high, low);
  }
}
