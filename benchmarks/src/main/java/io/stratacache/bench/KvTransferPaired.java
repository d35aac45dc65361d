package io.stratacache.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * {@link KvTransferBenchmark}'s store and retrieve against their plain gather and scatter, measured
 * in the same rounds: each round times a batch of every operation back to back (in an order that
 * rotates from round to round), so load from elsewhere on the machine slows a variant and its
 * baseline alike, and the ratio is taken per round. Prints, per slot mapping, each ratio's median
 * with its spread over rounds (min .. max), the noise this machine adds.
 *
 * <p>{@code java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar
 * io.stratacache.bench.KvTransferPaired [rounds] [batch]} (default 15 rounds of batches of 5, after
 * 3 warm-up rounds).
 */
public final class KvTransferPaired {
  private KvTransferPaired() {}

  /** Runs the paired measurement; arguments: rounds, operations per batch. */
  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    if (rounds <= 0 || batch <= 0) {
      throw new IllegalArgumentException("rounds, batch: " + rounds + ", " + batch + " (expected: both > 0)");
    }
    System.out.printf(Locale.ROOT, "KV chunk transfer, Llama-3-8B shape (32 MiB a chunk), %d rounds of %d operations each%n", rounds, batch);
    for (String mapping : List.of("blocks", "shuffled")) {
      run(mapping, rounds, batch);
    }
  }

  private static void run(String mapping, int rounds, int batch) {
    KvTransferBenchmark b = new KvTransferBenchmark();
    b.mapping = mapping;
    b.setUp();
    try {
      String[] names = {"plainGather", "store", "plainScatter", "retrieve"};
      LongSupplier[] ops = {
        () -> b.plainGather().byteSize(),
        b::store,
        () -> b.plainScatter().byteSize(),
        b::retrieve,
      };
      double[][] millis = new double[names.length][rounds];
      for (int r = -3; r < rounds; r++) {
        for (int k = 0; k < names.length; k++) {
          int op = Math.floorMod(k + r, names.length);
          if (names[op].equals("retrieve")) {
            b.storeRetrievedChunk(); // a store batch may have evicted it
          }
          long sink = 0;
          long t0 = System.nanoTime();
          for (int i = 0; i < batch; i++) {
            sink += ops[op].getAsLong();
          }
          long t = System.nanoTime() - t0;
          if (sink == 0) {
            throw new IllegalStateException(names[op] + " moved no bytes");
          }
          if (r >= 0) {
            millis[op][r] = t / 1e6 / batch;
          }
        }
      }
      double[] storeRatio = new double[rounds];
      double[] retrieveRatio = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        storeRatio[r] = millis[0][r] / millis[1][r];
        retrieveRatio[r] = millis[2][r] / millis[3][r];
      }
      System.out.printf(Locale.ROOT, "  %s: plain gather %s ms, store %s ms%n", mapping, spread(millis[0]), spread(millis[1]));
      System.out.printf(Locale.ROOT, "  %s: plain scatter %s ms, retrieve %s ms%n", mapping, spread(millis[2]), spread(millis[3]));
      System.out.printf(Locale.ROOT, "  %s: store / plain gather %s x, retrieve / plain scatter %s x (speed ratios; target >= 0.9)%n",
          mapping, spread(storeRatio), spread(retrieveRatio));
    } finally {
      b.tearDown();
    }
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** "median (min .. max)". */
  static String spread(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return String.format(Locale.ROOT, "%.3f (%.3f .. %.3f)", median(v), s[0], s[s.length - 1]);
  }
}
