package io.stratacache.cli;

import io.stratacache.djl.bench.InferenceBenchmark;
import io.stratacache.cli.bench.Mode;
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
        bench [--quick|--full]  the benchmark report: throughput per tier against its limit,
                                Ehcache and Caffeine, hit rate per eviction policy, TTFT cold
                                and warm; Markdown, CSV and PNG plots (quick: a few minutes)
              [--out DIR]       where to write it (default bench-report/<mode>-<time>)
        bench ttft|offload      TTFT with 15/16 of a 4,096-token prompt cached against cold, or
              [--rounds N]      offloaded forward throughput against resident (default 5 rounds)
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
          for (String a : rest) {
            if (a.equals("--quick")) {
              quick = true;
            } else {
              return usage(err, "demo: unknown option " + a);
            }
          }
          new DemoCommand(out, err, quick).run();
        }
        case "bench" -> {
          String which = "report";
          Mode mode = Mode.QUICK;
          java.nio.file.Path outDir = null;
          int rounds = 5;
          for (int i = 0; i < rest.length; i++) {
            switch (rest[i]) {
              case "ttft", "offload" -> which = rest[i];
              case "--quick" -> mode = Mode.QUICK;
              case "--full" -> mode = Mode.FULL;
              case "--out" -> {
                if (i + 1 >= rest.length) {
                  return usage(err, "bench: --out needs a directory");
                }
                outDir = java.nio.file.Path.of(rest[++i]);
              }
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
          if (which.equals("report")) {
            BenchCommand.run(mode, outDir == null ? BenchCommand.defaultOut(mode) : outDir, out, err);
          } else {
            InferenceBenchmark bench = new InferenceBenchmark(out, rounds);
            if (which.equals("ttft")) {
              bench.ttft();
            } else {
              bench.offload();
            }
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
