package io.stratacache.cli;

import io.stratacache.djl.bench.InferenceBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code stratacache bench}: time to first token cached against cold, and offloaded throughput against resident. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
        "Time to first token cached against cold, and offloaded throughput against resident.",
        "ttft: 15/16 of a 4,096-token prompt cached against cold; offload: forward throughput with",
        "weights streamed from the plane against a resident model; all (the default): both."})
final class BenchCli implements Callable<Integer> {
  /** Which benchmark to run. */
  enum Which { ttft, offload, all }

  @ParentCommand Main main;
  @Spec CommandLine.Model.CommandSpec spec;

  @Parameters(arity = "0..1", paramLabel = "WHICH", defaultValue = "all", description = "ttft, offload or all (default: ${DEFAULT-VALUE}).")
  Which which;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "5", description = "Measured rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Override
  public Integer call() {
    if (rounds <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--rounds " + rounds + " (expected: a positive integer)");
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
}
