package io.stratacache.cli;

import java.time.Duration;
import java.util.Locale;

/** Sizes and ages as the commands print and parse them. */
final class Sizes {
  private Sizes() {}

  /** {@code bytes} in B, KiB, MiB or GiB with one decimal. */
  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** {@code d} in the largest whole unit: 3d, 5h, 12m, 40s. */
  static String age(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s >= 86_400) {
      return s / 86_400 + "d";
    }
    if (s >= 3_600) {
      return s / 3_600 + "h";
    }
    if (s >= 60) {
      return s / 60 + "m";
    }
    return s + "s";
  }

  /**
   * Parses a duration such as {@code 90s}, {@code 30m}, {@code 12h}, {@code 7d} or an ISO-8601
   * {@code PT1H}.
   *
   * @throws IllegalArgumentException naming the text and the forms expected
   */
  static Duration duration(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    try {
      if (t.startsWith("p")) {
        return positive(Duration.parse(text.strip().toUpperCase(Locale.ROOT)), text);
      }
      if (t.length() >= 2) {
        long n = Long.parseLong(t.substring(0, t.length() - 1));
        Duration d = switch (t.charAt(t.length() - 1)) {
          case 's' -> Duration.ofSeconds(n);
          case 'm' -> Duration.ofMinutes(n);
          case 'h' -> Duration.ofHours(n);
          case 'd' -> Duration.ofDays(n);
          case 'w' -> Duration.ofDays(7 * n);
          default -> null;
        };
        if (d != null) {
          return positive(d, text);
        }
      }
    } catch (RuntimeException e) {
      // falls through to the error below
    }
    throw new IllegalArgumentException("\"" + text + "\" (expected: a positive duration such as 90s, 30m, 12h, 7d, 2w or PT1H)");
  }

  private static Duration positive(Duration d, String text) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(text);
    }
    return d;
  }
}
