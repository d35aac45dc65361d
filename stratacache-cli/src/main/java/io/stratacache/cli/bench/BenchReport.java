package io.stratacache.cli.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code stratacache bench}: measures the tiers, the eviction policies and time to first token,
 * and writes a report directory: {@code report.md} (medians, ratios, the machine, the plots),
 * {@code bench.csv} (every sample) and one PNG plot per chart.
 *
 * <p>The sections, in order: {@link ThroughputBench} (store and loadInto against artifact size,
 * per tier and against the plain copy or read that is each one's limit, Ehcache 3 off-heap,
 * Caffeine, and raw Lettuce where a {@code redis-server} can be started), {@link HitRateBench}
 * (hit rate against working-set size per eviction policy) and {@link TtftBench} (TTFT cold and
 * warm against prompt length on a DJL model) and {@link OffloadBench} (forward throughput with
 * weights streamed from a tier, with and without prefetch, against the resident model).
 */
public final class BenchReport {
  /** The Markdown report's file name. */
  public static final String MARKDOWN = "report.md";
  /** The samples' file name. */
  public static final String CSV = "bench.csv";

  private BenchReport() {}

  /**
   * What a run wrote.
   *
   * @param dir the report directory
   * @param markdown the Markdown report
   * @param csv every sample
   * @param plots the PNG plots, in the report's order
   * @param results what was measured
   */
  public record Report(Path dir, Path markdown, Path csv, List<Path> plots, BenchResults results) {}

  /**
   * Runs {@code mode}'s plan and writes the report into {@code outDir}.
   *
   * @param outDir a directory that does not exist yet or is empty; created with its parents
   * @param progress told how far the run is
   * @throws IllegalArgumentException if an argument is null or {@code outDir} is a file or not empty
   */
  public static Report run(Mode mode, Path outDir, BenchProgress progress) {
    if (mode == null) {
      throw new IllegalArgumentException("mode: null (expected: quick or full)");
    }
    return run(mode.plan(), mode.toString(), "./stratacache bench --" + mode + " --out " + outDir, outDir, progress);
  }

  /**
   * Runs {@code plan} and writes the report into {@code outDir}.
   *
   * @param modeName how the report names the plan
   * @param command the command line the report quotes
   * @throws IllegalArgumentException if an argument is null or {@code outDir} is a file or not empty
   */
  public static Report run(BenchPlan plan, String modeName, String command, Path outDir, BenchProgress progress) {
    if (plan == null) {
      throw new IllegalArgumentException("plan: null (expected: a plan, e.g. BenchPlan.quick())");
    }
    if (progress == null) {
      throw new IllegalArgumentException("progress: null (expected: a listener, e.g. BenchProgress.none())");
    }
    prepare(outDir);
    long t0 = System.nanoTime();
    BenchResults results = new BenchResults(Machine.current(), modeName);
    Path scratch;
    try {
      scratch = Files.createTempDirectory("stratacache-bench-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a scratch directory", e);
    }
    try {
      new ThroughputBench(plan, results, progress, scratch).run();
      new HitRateBench(plan, results, progress).run();
      new TtftBench(plan, results, progress, scratch).run();
      new OffloadBench(plan, results, progress, scratch).run();
    } finally {
      deleteTree(scratch);
    }
    results.finish(Machine.loadAverageNow(), (System.nanoTime() - t0) / 1e9);
    return write(results, outDir, command);
  }

  /** Writes the report of {@code results} into the existing directory {@code outDir}. */
  static Report write(BenchResults results, Path outDir, String command) {
    Map<String, String> names = new LinkedHashMap<>();
    List<Path> plots = new ArrayList<>();
    for (ChartSpec spec : results.charts()) {
      if (!results.figures(spec.id()).isEmpty()) {
        Path png = outDir.resolve(spec.id() + ".png");
        Plots.writePng(Plots.chart(results, spec), png);
        names.put(spec.id(), png.getFileName().toString());
        plots.add(png);
      }
    }
    Path csv = outDir.resolve(CSV);
    ReportWriter.writeCsv(results, csv);
    Path md = outDir.resolve(MARKDOWN);
    ReportWriter.writeMarkdown(results, md, command, names);
    return new Report(outDir, md, csv, List.copyOf(plots), results);
  }

  private static void prepare(Path outDir) {
    if (outDir == null) {
      throw new IllegalArgumentException("outDir: null (expected: a directory for the report)");
    }
    if (Files.exists(outDir)) {
      if (!Files.isDirectory(outDir)) {
        throw new IllegalArgumentException("outDir: " + outDir + " is a file (expected: a new or empty directory)");
      }
      try (Stream<Path> s = Files.list(outDir)) {
        if (s.findAny().isPresent()) {
          throw new IllegalArgumentException("outDir: " + outDir + " is not empty (expected: a new or empty directory; nothing was written)");
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + outDir, e);
      }
    }
    try {
      Files.createDirectories(outDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + outDir, e);
    }
  }

  /** {@code bytes} as {@code 64 KiB} or {@code 4 MiB}. */
  static String size(long bytes) {
    if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
      return (bytes >> 20) + " MiB";
    }
    if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
      return (bytes >> 10) + " KiB";
    }
    return String.format(Locale.ROOT, "%d bytes", bytes);
  }

  /** Deletes {@code root} and everything under it, if it exists. */
  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }
}
