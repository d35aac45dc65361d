package io.stratacache.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code stratacache demo}: the options; the demo itself is {@link DemoCommand}. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
        "KV prefix reuse and parameter offload on a small generated model.",
        "Runs on the demo's embedded configuration (a cpu tier over an ssd tier) unless -c,",
        "-Dstratacache.config or STRATACACHE_CONFIG names one."})
final class DemoCli implements Callable<Integer> {
  @ParentCommand Main main;

  @Option(names = "--quick", description = "A shorter workload (fewer requests and passes).")
  boolean quick;

  @Override
  public Integer call() {
    new DemoCommand(main.out, main.err, quick).run(main.configuration(DemoCommand::configuration));
    return Main.OK;
  }
}
