package io.stratacache.cli.bench;

import java.util.Locale;

/**
 * One chart of the report: a table in the Markdown file, a PNG plot and rows of the CSV file.
 *
 * @param id file-name-safe id, also the first column of the CSV rows ({@code throughput-store})
 * @param title the plot's and the table's title
 * @param xLabel the x axis, with its unit
 * @param yLabel the y axis, with its unit
 * @param xUnit the unit of x: {@code KiB} (shown as a size), {@code x} (a multiple) or {@code tokens}
 * @param unit the unit of the values, as the CSV names it
 * @param logX whether the x axis is logarithmic
 * @param logY whether the y axis is logarithmic
 */
public record ChartSpec(String id, String title, String xLabel, String yLabel, String xUnit, String unit, boolean logX, boolean logY) {
  public ChartSpec {
    if (id == null || !id.matches("[a-z0-9][a-z0-9.-]*")) {
      throw new IllegalArgumentException("id: " + id + " (expected: lower-case letters, digits, '.' and '-')");
    }
    if (!xUnit.equals("KiB") && !xUnit.equals("x") && !xUnit.equals("tokens")) {
      throw new IllegalArgumentException("xUnit: " + xUnit + " (expected: KiB, x or tokens)");
    }
  }

  /** {@code x} as a table heading shows it: {@code 64 KiB}, {@code 4 MiB}, {@code 0.5x}, {@code 2048}. */
  public String formatX(double x) {
    return switch (xUnit) {
      case "KiB" -> x >= 1024 ? trim(x / 1024) + " MiB" : trim(x) + " KiB";
      case "x" -> trim(x) + "x";
      default -> trim(x);
    };
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v).replaceAll("0+$", "");
  }
}
