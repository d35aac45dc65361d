package io.stratacache.cli.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Keys {@code 0 .. n-1} drawn with Zipf probabilities: key {@code k} with weight {@code 1 / (k +
 * 1)^s}. Sampling inverts the cumulative distribution by binary search (a table of {@code n}
 * doubles), so any exponent works, 0 (uniform) included. Seeded: the same seed gives the same
 * trace, so every policy sees the same accesses.
 */
final class ZipfTrace {
  private final double[] cumulative;
  private final SplittableRandom random;

  /**
   * @param n number of keys, at least 1
   * @param s the exponent, from 0
   */
  ZipfTrace(int n, double s, long seed) {
    if (n < 1) {
      throw new IllegalArgumentException("n: " + n + " (expected: at least one key)");
    }
    if (!(s >= 0)) {
      throw new IllegalArgumentException("s: " + s + " (expected: an exponent of 0 or more)");
    }
    cumulative = new double[n];
    double sum = 0;
    for (int k = 0; k < n; k++) {
      sum += Math.pow(k + 1, -s);
      cumulative[k] = sum;
    }
    for (int k = 0; k < n; k++) {
      cumulative[k] /= sum;
    }
    random = new SplittableRandom(seed);
  }

  /** The next key. */
  int next() {
    int i = Arrays.binarySearch(cumulative, random.nextDouble());
    return Math.min(cumulative.length - 1, i >= 0 ? i : -i - 1);
  }
}
