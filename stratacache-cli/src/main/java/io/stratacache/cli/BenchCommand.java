package io.stratacache.cli;

import io.stratacache.cli.bench.BenchProgress;
import io.stratacache.cli.bench.BenchReport;
import io.stratacache.cli.bench.Mode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * {@code stratacache bench [--quick | --full] [--out DIR]}: runs {@link BenchReport} with a
 * progress bar per phase on the error stream, then prints where the report is.
 */
final class BenchCommand {
  private BenchCommand() {}

  /** The default report directory: {@code bench-report/<mode>-<local date and time>}. */
  static Path defaultOut(Mode mode) {
    return Path.of("bench-report", mode + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
  }

  /** Runs {@code mode} into {@code outDir} and prints what it wrote to {@code out}. */
  static BenchReport.Report run(Mode mode, Path outDir, PrintStream out, PrintStream err) {
    out.printf(Locale.ROOT, "stratacache bench, %s mode: throughput per tier, hit rate per eviction policy, TTFT cold and warm%n", mode);
    BarProgress progress = new BarProgress(err);
    BenchReport.Report report;
    try {
      report = BenchReport.run(mode, outDir, progress);
    } finally {
      progress.close();
    }
    out.printf(Locale.ROOT, "report: %s (%.1f min)%n", report.markdown(), report.results().elapsedSeconds() / 60);
    out.printf(Locale.ROOT, "every sample: %s; plots: %d PNG files beside them%n", report.csv(), report.plots().size());
    for (String note : report.results().notes()) {
      if (note.contains("not measured")) {
        out.println("note: " + note);
      }
    }
    return report;
  }

  /** One {@link Progress} bar per phase. */
  private static final class BarProgress implements BenchProgress, AutoCloseable {
    private final PrintStream err;
    private String phase;
    private Progress bar;
    private long done;

    BarProgress(PrintStream err) {
      this.err = err;
    }

    @Override
    public void update(String phase, long done, long total) {
      if (!phase.equals(this.phase)) {
        close();
        this.phase = phase;
        this.bar = new Progress(err, phase, total);
        this.done = 0;
      }
      bar.step(done - this.done);
      this.done = done;
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
        bar = null;
      }
    }
  }
}
