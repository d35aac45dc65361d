package io.stratacache.cli;

import io.stratacache.cli.bench.Mode;
import io.stratacache.djl.bench.InferenceBenchmark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code stratacache bench}: the benchmark report ({@link io.stratacache.cli.bench.BenchReport},
 * through {@link BenchCommand}), or one of the two inference benchmarks on its own.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
        "The benchmark report: tiers against their limits, hit rates, TTFT, offload.",
        "Store and loadInto throughput per tier against its limit (plain copy, raw file I/O, raw",
        "Lettuce when redis-server is on the PATH), Ehcache 3 and Caffeine; hit rate",
        "per eviction policy; TTFT cold and warm; offloaded forward throughput. Writes report.md,",
        "bench.csv and PNG plots into --out. Quick: a few minutes; --full: the README's figures.",
        "ttft or offload instead runs that inference benchmark alone (all: both), printing its figures."})
final class BenchCli implements Callable<Integer> {
  /** What to run. */
  enum Which { report, ttft, offload, all }

  @ParentCommand Main main;
  @Spec CommandLine.Model.CommandSpec spec;

  @Parameters(arity = "0..1", paramLabel = "WHICH", defaultValue = "report",
      description = "report, ttft, offload or all (ttft and offload; default: ${DEFAULT-VALUE}).")
  Which which;

  @Option(names = "--quick", description = "The report's quick mode (the default).")
  boolean quick;

  @Option(names = "--full", description = "The report's full mode: more sizes, rounds and prompt lengths.")
  boolean full;

  @Option(names = "--out", paramLabel = "DIR", description = "Where the report goes: a new or empty directory "
      + "(default: bench-report/<mode>-<time>).")
  Path out;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "5", description = "Measured rounds of ttft and offload (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Override
  public Integer call() {
    if (rounds <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--rounds " + rounds + " (expected: a positive integer)");
    }
    if (quick && full) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--quick and --full (expected: one of them)");
    }
    if (which == Which.report) {
      Mode mode = full ? Mode.FULL : Mode.QUICK;
      Path dir = out == null ? BenchCommand.defaultOut(mode) : out;
      if (!emptyOrAbsent(dir)) {
        throw new Main.UserError("--out " + dir + " (expected: a new or empty directory; nothing was written)", Main.USAGE);
      }
      BenchCommand.run(mode, dir, main.out, main.err);
      return Main.OK;
    }
    InferenceBenchmark bench = new InferenceBenchmark(main.out, rounds);
    if (which != Which.offload) {
      bench.ttft();
    }
    if (which != Which.ttft) {
      bench.offload();
    }
    return Main.OK;
  }

  private static boolean emptyOrAbsent(Path dir) {
    if (!Files.exists(dir)) {
      return true;
    }
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }
}
