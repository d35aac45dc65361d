package io.stratacache.cli;

import io.stratacache.djl.bench.InferenceBenchmark;
import io.stratacache.core.StrataCacheException;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * The {@code stratacache} command: {@code demo}, {@code bench}, {@code help}. Exit status 0 on
 * success, 1 on a failure (with one line saying what failed), 2 on a usage error.
 */
public final class Main {
  private Main() {}

  static final String USAGE = """
      usage: stratacache <command> [options]

        demo [--quick]          KV prefix reuse and parameter offload on a small generated model,
                                on the embedded configuration (or -Dstratacache.config=PATH)
             [--model DIR]      on a Hugging Face Llama/Qwen2 checkpoint instead (config.json,
                                safetensors, tokenizer.json if present)
        bench [ttft|offload]    time to first token with 15/16 of a 4,096-token prompt cached
                                against cold, and offloaded forward throughput against resident
              [--rounds N]      measured rounds (default 5)
        help                    this text
      """;

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the command line and returns the exit status. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      err.print(USAGE);
      return 2;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    try {
      switch (args[0]) {
        case "demo" -> {
          boolean quick = false;
          java.nio.file.Path model = null;
          for (int i = 0; i < rest.length; i++) {
            if (rest[i].equals("--quick")) {
              quick = true;
            } else if (rest[i].equals("--model")) {
              if (i + 1 >= rest.length) {
                return usage(err, "demo: --model needs a checkpoint directory");
              }
              model = java.nio.file.Path.of(rest[++i]);
              if (!java.nio.file.Files.isDirectory(model)) {
                return usage(err, "demo: --model " + model + " (expected: a directory with config.json and model weights)");
              }
            } else {
              return usage(err, "demo: unknown option " + rest[i]);
            }
          }
          new DemoCommand(out, err, quick, model).run();
        }
        case "bench" -> {
          String which = "all";
          int rounds = 5;
          for (int i = 0; i < rest.length; i++) {
            switch (rest[i]) {
              case "ttft", "offload", "all" -> which = rest[i];
              case "--rounds" -> {
                if (i + 1 >= rest.length) {
                  return usage(err, "bench: --rounds needs a number");
                }
                try {
                  rounds = Integer.parseInt(rest[++i]);
                } catch (NumberFormatException e) {
                  return usage(err, "bench: --rounds " + rest[i] + " (expected: a positive integer)");
                }
                if (rounds <= 0) {
                  return usage(err, "bench: --rounds " + rounds + " (expected: a positive integer)");
                }
              }
              default -> {
                return usage(err, "bench: unknown option " + rest[i]);
              }
            }
          }
          InferenceBenchmark bench = new InferenceBenchmark(out, rounds);
          if (!which.equals("offload")) {
            bench.ttft();
          }
          if (!which.equals("ttft")) {
            bench.offload();
          }
        }
        case "help", "-h", "--help" -> out.print(USAGE);
        default -> {
          return usage(err, "unknown command " + args[0]);
        }
      }
      return 0;
    } catch (RuntimeException e) {
      err.println();
      String what = e instanceof StrataCacheException || e.getMessage() == null ? "" : e.getClass().getSimpleName() + ": ";
      err.println("stratacache " + args[0] + " failed: " + what + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return 1;
    }
  }

  private static int usage(PrintStream err, String problem) {
    err.println("stratacache: " + problem);
    err.print(USAGE);
    return 2;
  }
}
