package io.stratacache.cli.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's plots, made with XChart: one line per series through the medians of its figures,
 * in the order the series were measured. {@link #chart} builds the chart (its model can be
 * inspected before anything is drawn); {@link #writePng} renders it off-screen.
 */
final class Plots {
  static final int WIDTH = 960;
  static final int HEIGHT = 600;

  private Plots() {}

  /** The chart of {@code spec}: every series of its figures, x ascending, y the medians. */
  static XYChart chart(BenchResults results, ChartSpec spec) {
    headless();
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(spec.title())
        .xAxisTitle(spec.xLabel()).yAxisTitle(spec.yLabel()).build();
    Styler.LegendPosition legend = Styler.LegendPosition.OutsideS;
    chart.getStyler().setLegendPosition(legend);
    chart.getStyler().setXAxisLogarithmic(spec.logX());
    chart.getStyler().setYAxisLogarithmic(spec.logY());
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setMarkerSize(7);
    for (String series : results.series(spec.id())) {
      List<Figure> points = results.figures(spec.id()).stream().filter(f -> f.series().equals(series))
          .sorted(java.util.Comparator.comparingDouble(Figure::x)).toList();
      double[] x = points.stream().mapToDouble(Figure::x).toArray();
      double[] y = points.stream().mapToDouble(Figure::median).toArray();
      chart.addSeries(series, x, y).setMarker(SeriesMarkers.CIRCLE);
    }
    return chart;
  }

  /** Renders {@code chart} as a PNG file at {@code file}, replacing it. */
  static void writePng(XYChart chart, Path file) {
    try (OutputStream out = Files.newOutputStream(file)) {
      BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Drawing needs no display: AWT runs headless unless the caller chose otherwise. */
  private static void headless() {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }
}
