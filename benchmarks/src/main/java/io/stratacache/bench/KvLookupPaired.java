package io.stratacache.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * {@link KvLookupBenchmark}'s lookup against one bare SHA-256 pass over the same token bytes,
 * measured in the same rounds (lookup, then the bare pass, then the chained hash, alternating),
 * at 4K, 128K and 1M tokens. Prints each one's fastest and median call and the lookup's ratio to
 * the bare SHA-256 pass per round: on a loaded machine the absolute times swing with the load,
 * while the ratio and the fastest calls show what the code costs.
 *
 * <p>{@code java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar
 * io.stratacache.bench.KvLookupPaired [rounds]} (default 200, after 50 warm-up rounds).
 */
public final class KvLookupPaired {
  private KvLookupPaired() {}

  /** Runs the paired measurement; argument: rounds. */
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    if (rounds <= 0) {
      throw new IllegalArgumentException("rounds: " + rounds + " (expected: > 0)");
    }
    System.out.printf(Locale.ROOT, "KV prefix lookup, every chunk (256 tokens) stored in a cpu tier, %d rounds%n", rounds);
    for (int tokens : new int[] {4096, 131_072, 1_048_576}) {
      KvLookupBenchmark b = new KvLookupBenchmark();
      b.tokenCount = tokens;
      b.setUp();
      try {
        LongSupplier[] ops = {() -> b.lookup(), () -> b.sha256Limit().length, () -> b.chainedHash().length};
        double[][] micros = new double[ops.length][rounds];
        int warmup = tokens > 200_000 ? 20 : 50;
        for (int r = -warmup; r < rounds; r++) {
          for (int op = 0; op < ops.length; op++) {
            long t0 = System.nanoTime();
            long sink = ops[op].getAsLong();
            long t = System.nanoTime() - t0;
            if (sink <= 0) {
              throw new IllegalStateException("operation " + op + " returned " + sink);
            }
            if (r >= 0) {
              micros[op][r] = t / 1e3;
            }
          }
        }
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          ratio[r] = micros[0][r] / micros[1][r];
        }
        System.out.printf(Locale.ROOT, "  %7d tokens: lookup best %.1f us, median %.1f us; bare SHA-256 best %.1f us (%.2f ns/token), median %.1f us;"
            + " chained hash best %.1f us; lookup / bare SHA-256 per round %s%n",
            tokens, min(micros[0]), median(micros[0]), min(micros[1]), min(micros[1]) * 1e3 / tokens, median(micros[1]),
            min(micros[2]), KvTransferPaired.spread(ratio));
      } finally {
        b.tearDown();
      }
    }
  }

  private static double min(double[] v) {
    return Arrays.stream(v).min().orElseThrow();
  }

  private static double median(double[] v) {
    return KvTransferPaired.median(v);
  }
}
