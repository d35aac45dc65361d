package io.stratacache.cli.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What a run of the benchmark measured: its charts, every figure, which series each series is
 * compared with, and notes (what was not measured and why, what to read into a figure). Filled by
 * one thread, then read.
 */
public final class BenchResults {
  private final Machine machine;
  private final String mode;
  private final Map<String, ChartSpec> charts = new LinkedHashMap<>();
  private final List<Figure> figures = new ArrayList<>();
  private final Map<String, String> baselines = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private double endLoadAverage = -1;
  private double elapsedSeconds;

  /** Results of a run in {@code mode} on {@code machine}. */
  public BenchResults(Machine machine, String mode) {
    this.machine = machine;
    this.mode = mode;
  }

  public Machine machine() {
    return machine;
  }

  public String mode() {
    return mode;
  }

  /** Adds a chart; figures may then name it. */
  public void add(ChartSpec chart) {
    if (charts.putIfAbsent(chart.id(), chart) != null) {
      throw new IllegalArgumentException("chart: " + chart.id() + " (expected: an id not added before)");
    }
  }

  /** Adds a figure of a chart added before. */
  public void add(Figure figure) {
    if (!charts.containsKey(figure.chart())) {
      throw new IllegalArgumentException("figure.chart: " + figure.chart() + " (expected: one of " + charts.keySet() + ")");
    }
    figures.add(figure);
  }

  /** Says that series {@code series} is to be read against {@code baseline} (ratios series / baseline). */
  public void baseline(String series, String baseline) {
    baselines.put(series, baseline);
  }

  /** Records how the run ended: the load average then (-1 if unknown) and how long it took. */
  public void finish(double endLoadAverage, double elapsedSeconds) {
    this.endLoadAverage = endLoadAverage;
    this.elapsedSeconds = elapsedSeconds;
  }

  /** The load average over the last minute when the run ended, or -1 if unknown. */
  public double endLoadAverage() {
    return endLoadAverage;
  }

  /** How long the run took, in seconds. */
  public double elapsedSeconds() {
    return elapsedSeconds;
  }

  /** Adds a note to the report. */
  public void note(String note) {
    notes.add(note);
  }

  public List<ChartSpec> charts() {
    return List.copyOf(charts.values());
  }

  public ChartSpec chart(String id) {
    ChartSpec c = charts.get(id);
    if (c == null) {
      throw new IllegalArgumentException("chart: " + id + " (expected: one of " + charts.keySet() + ")");
    }
    return c;
  }

  public List<Figure> figures() {
    return Collections.unmodifiableList(figures);
  }

  /** The figures of {@code chart}, in the order added. */
  public List<Figure> figures(String chart) {
    return figures.stream().filter(f -> f.chart().equals(chart)).toList();
  }

  /** The series of {@code chart}, in the order first added. */
  public List<String> series(String chart) {
    LinkedHashSet<String> s = new LinkedHashSet<>();
    figures(chart).forEach(f -> s.add(f.series()));
    return List.copyOf(s);
  }

  /** The x values of {@code chart}, ascending. */
  public List<Double> xs(String chart) {
    TreeSet<Double> s = new TreeSet<>();
    figures(chart).forEach(f -> s.add(f.x()));
    return List.copyOf(s);
  }

  /** The figure of {@code series} at {@code x} in {@code chart}, or {@code null}. */
  public Figure figure(String chart, String series, double x) {
    for (Figure f : figures) {
      if (f.chart().equals(chart) && f.series().equals(series) && f.x() == x) {
        return f;
      }
    }
    return null;
  }

  /** Which series each series is compared with. */
  public Map<String, String> baselines() {
    return Collections.unmodifiableMap(baselines);
  }

  public List<String> notes() {
    return Collections.unmodifiableList(notes);
  }

  /**
   * Ratios {@code a[i] / b[i]} of the paired samples of two figures (samples taken in the same
   * round), or {@code null} when either is missing or their sample counts differ.
   */
  public static List<Double> pairedRatios(Figure a, Figure b) {
    if (a == null || b == null || a.samples().size() != b.samples().size()) {
      return null;
    }
    List<Double> r = new ArrayList<>();
    for (int i = 0; i < a.samples().size(); i++) {
      r.add(a.samples().get(i) / b.samples().get(i));
    }
    return r;
  }
}
