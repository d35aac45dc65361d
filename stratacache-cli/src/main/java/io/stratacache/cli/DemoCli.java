package io.stratacache.cli;

import java.nio.file.Files;
import java.nio.file.Path;
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

  @Option(names = "--model", paramLabel = "DIR",
      description = "Run on a Hugging Face Llama or Qwen2 checkpoint (config.json, safetensors, tokenizer.json if present) instead of the generated model.")
  Path model;

  @Override
  public Integer call() {
    if (model != null && !Files.isDirectory(model)) {
      throw new Main.UserError("demo: --model " + model.toAbsolutePath()
          + " (expected: a directory with config.json and model weights)", Main.USAGE);
    }
    new DemoCommand(main.out, main.err, quick, model == null ? null : model.toAbsolutePath()).run(main.configuration(DemoCommand::configuration));
    return Main.OK;
  }
}
