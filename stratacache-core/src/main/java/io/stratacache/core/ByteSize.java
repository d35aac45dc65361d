package io.stratacache.core;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and prints byte sizes: a whole number of bytes, or a number with a unit. {@code KiB MiB
 * GiB TiB} (and {@code K M G T}, {@code KB MB GB TB}) are powers of 1024; the original
 * StrataCache's sizes were binary, and so are these.
 */
public final class ByteSize {
  private static final Pattern SIZE = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(i?b?)\\s*", Pattern.CASE_INSENSITIVE);

  private ByteSize() {}

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException naming the text and the expected form
   */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text);
    boolean ok = m.matches();
    boolean plainBytes = ok && m.group(2).isEmpty();
    if (!ok || (plainBytes && (m.group(3).toLowerCase(Locale.ROOT).startsWith("i") || m.group(1).indexOf('.') >= 0))) {
      throw new IllegalArgumentException(
          "size \"" + text + "\" (expected: whole bytes, or a number with KiB, MiB, GiB or TiB, e.g. 512MiB)");
    }
    int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "" -> 0;
      case "k" -> 10;
      case "m" -> 20;
      case "g" -> 30;
      default -> 40;
    };
    long bytes;
    if (plainBytes) {
      // exact: a double holds whole numbers exactly only up to 2^53; 18 digits stay below 2^62
      bytes = m.group(1).length() <= 18 ? Long.parseLong(m.group(1)) : Long.MAX_VALUE;
    } else {
      double value = Double.parseDouble(m.group(1)) * (1L << shift);
      bytes = value >= 0x1p62 ? Long.MAX_VALUE : (long) value;
    }
    if (bytes >= 1L << 62) {
      throw new IllegalArgumentException("size \"" + text + "\" (expected: less than 4 EiB)");
    }
    return bytes;
  }

  /**
   * {@code bytes} in the largest binary unit that keeps it readable, e.g. {@code 1.5 MiB}: whole
   * numbers print without a fraction, others with one decimal (so a value just under a unit
   * prints as {@code 1.0} of that unit, never as {@code 1024.0} of the one below).
   */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1023.95 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return (v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.1f", v)) + " " + units[u];
  }
}
