package io.stratacache.cli.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a run's results as a Markdown report (medians with their spread, ratios to baselines,
 * the machine, the plots) and as CSV (every sample).
 *
 * <p>Formats. A value is shown with three significant digits ({@link #number}); a figure as its
 * median followed by {@code ±} half its range as a percentage of the median (one decimal below
 * 10%) when it has more than one sample ({@link #figure}); a ratio as its median with the range in parentheses. The CSV has
 * one row per sample: {@code chart,series,x,x_unit,unit,round,value}, {@code x} and {@code value}
 * as Java prints a {@code double}.
 */
final class ReportWriter {
  static final String CSV_HEADER = "chart,series,x,x_unit,unit,round,value";

  private ReportWriter() {}

  /** {@code v} with three significant digits (at least the integer part). */
  static String number(double v) {
    double a = Math.abs(v);
    // thresholds on the rounded value, so that 99.97 shows as 100 like 100 itself, not as 100.0
    String f = a >= 99.95 ? "%.0f" : a >= 9.995 ? "%.1f" : a >= 0.9995 ? "%.2f" : a >= 0.00995 ? "%.3f" : "%.2g";
    return String.format(Locale.ROOT, f, v);
  }

  /** A figure's cell: its median and, with several samples, {@code ±} half its range in percent. */
  static String figure(Figure f) {
    String m = number(f.median());
    if (f.samples().size() < 2 || f.median() == 0) {
      return m;
    }
    double spread = 50 * (f.max() - f.min()) / Math.abs(f.median());
    return m + String.format(Locale.ROOT, spread < 9.95 ? " ±%.1f%%" : " ±%.0f%%", spread);
  }

  /** A ratio cell: median and range of paired ratios. */
  static String ratio(List<Double> ratios) {
    double lo = ratios.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    double hi = ratios.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    String m = String.format(Locale.ROOT, "%.2f×", Figure.median(ratios));
    return ratios.size() < 2 ? m : m + String.format(Locale.ROOT, " (%.2f–%.2f)", lo, hi);
  }

  static void writeCsv(BenchResults results, Path file) {
    StringBuilder s = new StringBuilder(CSV_HEADER).append('\n');
    for (Figure f : results.figures()) {
      ChartSpec spec = results.chart(f.chart());
      for (int i = 0; i < f.samples().size(); i++) {
        s.append(csv(f.chart())).append(',').append(csv(f.series())).append(',').append(f.x()).append(',').append(csv(spec.xUnit()))
            .append(',').append(csv(spec.unit())).append(',').append(i + 1).append(',').append(f.samples().get(i)).append('\n');
      }
    }
    write(file, s.toString());
  }

  private static String csv(String v) {
    return v.contains(",") || v.contains("\"") || v.contains("\n") ? '"' + v.replace("\"", "\"\"") + '"' : v;
  }

  /**
   * Writes the Markdown report.
   *
   * @param command the command line that made it, as the report quotes it
   * @param plots each chart's PNG file name, by chart id
   */
  static void writeMarkdown(BenchResults results, Path file, String command, Map<String, String> plots) {
    StringBuilder s = new StringBuilder();
    Machine m = results.machine();
    s.append("# StrataCache benchmark report (").append(results.mode()).append(" mode)\n\n");
    s.append("Measured ").append(m.date()).append(" on ").append(m.describe()).append(".  \n");
    s.append(String.format(Locale.ROOT, "Load average (1 min): %s at the start, %s at the end; the run took %.1f min.  %n",
        load(m.loadAverage()), load(results.endLoadAverage()), results.elapsedSeconds() / 60));
    s.append("Command: `").append(command).append("`. Every sample: [bench.csv](bench.csv).\n\n");
    s.append("Each cell is the median over rounds, `±` half the range (min to max) as a share of the median. Within a round every "
        + "series is measured in turn, so a ratio is taken round by round and shown as median (min–max); above 1× the series is "
        + "faster than (or, for TTFT, as many times quicker as) its baseline.\n");
    targets(s, results);
    for (ChartSpec spec : results.charts()) {
      if (results.figures(spec.id()).isEmpty()) {
        continue;
      }
      s.append("\n## ").append(capitalize(spec.title())).append(" (").append(spec.unit()).append(")\n\n");
      table(s, results, spec);
      ratios(s, results, spec);
      String png = plots.get(spec.id());
      if (png != null) {
        s.append("\n![").append(spec.title()).append("](").append(png).append(")\n");
      }
    }
    if (!results.notes().isEmpty()) {
      s.append("\n## Notes\n\n");
      for (String n : results.notes()) {
        s.append("- ").append(n).append('\n');
      }
    }
    write(file, s.toString());
  }

  /** The targets of DESIGN.md this run measured: the ratio, the target, whether it is met. */
  private static void targets(StringBuilder s, BenchResults results) {
    List<Targets.Outcome> outcomes = Targets.check(results);
    if (outcomes.isEmpty()) {
      return;
    }
    s.append("\n## Targets\n\n| ratio | at | measured | target | met |\n|---|---:|---:|---:|---|\n");
    for (Targets.Outcome o : outcomes) {
      ChartSpec spec = results.chart(o.target().chart());
      s.append("| ").append(o.target().label()).append(" | ").append(spec.formatX(o.x())).append(" | ").append(ratio(o.ratios()))
          .append(" | ").append(Targets.threshold(o.target())).append(" | ").append(o.met() ? "yes" : "**no**").append(" |\n");
    }
  }

  private static String load(double v) {
    return v < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", v);
  }

  private static void table(StringBuilder s, BenchResults results, ChartSpec spec) {
    List<Double> xs = results.xs(spec.id());
    header(s, "series", xs, spec);
    for (String series : results.series(spec.id())) {
      s.append("| ").append(series);
      for (double x : xs) {
        Figure f = results.figure(spec.id(), series, x);
        s.append(" | ").append(f == null ? "—" : figure(f));
      }
      s.append(" |\n");
    }
  }

  private static void ratios(StringBuilder s, BenchResults results, ChartSpec spec) {
    List<Double> xs = results.xs(spec.id());
    List<String> rows = new ArrayList<>();
    for (String series : results.series(spec.id())) {
      String base = results.baselines().get(series);
      if (base == null || !results.series(spec.id()).contains(base)) {
        continue;
      }
      StringBuilder row = new StringBuilder("| ").append(series).append(" / ").append(base);
      for (double x : xs) {
        List<Double> r = BenchResults.pairedRatios(results.figure(spec.id(), series, x), results.figure(spec.id(), base, x));
        row.append(" | ").append(r == null ? "—" : ratio(r));
      }
      rows.add(row.append(" |\n").toString());
    }
    if (!rows.isEmpty()) {
      s.append("\nRatio to the baseline (series / baseline, round by round):\n\n");
      header(s, "series / baseline", xs, spec);
      rows.forEach(s::append);
    }
  }

  private static void header(StringBuilder s, String first, List<Double> xs, ChartSpec spec) {
    s.append("| ").append(first);
    for (double x : xs) {
      s.append(" | ").append(spec.formatX(x));
    }
    s.append(" |\n|---");
    s.append("|---:".repeat(xs.size())).append("|\n");
  }

  private static String capitalize(String t) {
    return t.isEmpty() ? t : Character.toUpperCase(t.charAt(0)) + t.substring(1);
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
