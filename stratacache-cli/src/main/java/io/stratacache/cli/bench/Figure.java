package io.stratacache.cli.bench;

import java.util.Arrays;
import java.util.List;

/**
 * Every sample of one series at one point of one chart, in the order measured (sample {@code i}
 * of two series of a chart was taken in the same round, so their ratio is a paired one).
 *
 * @param chart the chart's id ({@link ChartSpec#id()})
 * @param series the series (an implementation, a policy, cold or warm)
 * @param x the point on the x axis, in the chart's x unit
 * @param samples the measured values, in the chart's unit; at least one
 */
public record Figure(String chart, String series, double x, List<Double> samples) {
  public Figure {
    samples = List.copyOf(samples);
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("samples: none for " + chart + " / " + series + " at " + x + " (expected: at least one)");
    }
  }

  /** The median of the samples. */
  public double median() {
    return median(samples);
  }

  /** The smallest sample. */
  public double min() {
    return samples.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
  }

  /** The largest sample. */
  public double max() {
    return samples.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
  }

  /** The median of {@code values} (the mean of the middle two for an even count). */
  public static double median(List<Double> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("values: none (expected: at least one)");
    }
    double[] s = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
