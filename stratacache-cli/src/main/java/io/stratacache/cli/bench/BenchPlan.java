package io.stratacache.cli.bench;

import java.util.List;

/**
 * What one run of {@code stratacache bench} measures, and for how long. {@link #quick()} and
 * {@link #full()} are the two plans of the command; tests make smaller ones.
 *
 * @param sizes artifact sizes of the throughput section, in bytes (each a multiple of 8)
 * @param rounds measured rounds of the throughput section; every round measures every
 *     implementation once, in turn, so drift on the machine hits them alike
 * @param sampleMillis how long one throughput sample runs (at least one operation)
 * @param warmupMillis how long each implementation runs each operation before the first round
 * @param cacheArtifacts artifacts the cache of the hit-rate section holds
 * @param artifactBytes size of each artifact of the hit-rate section
 * @param workingSets working-set sizes of the hit-rate section, as multiples of the cache
 * @param skews Zipf exponents of the hit-rate section's access traces, one plot each
 * @param accesses accesses per hit-rate trace (the first fifth warms the cache up and is not counted)
 * @param hitRounds traces per point, each with its own seed
 * @param policies eviction policies of the hit-rate section, or empty for every policy the engine has
 * @param promptLengths prompt lengths of the time-to-first-token section, in tokens (each at least 32)
 * @param ttftRounds measured rounds per prompt length, after one warm-up round
 * @param offloadPrompts prompt lengths of the parameter-offload section, in tokens (each at least 16)
 * @param offloadRounds measured rounds per offload prompt length, after one warm-up round
 */
public record BenchPlan(
    List<Long> sizes,
    int rounds,
    long sampleMillis,
    long warmupMillis,
    int cacheArtifacts,
    int artifactBytes,
    List<Double> workingSets,
    List<Double> skews,
    int accesses,
    int hitRounds,
    List<String> policies,
    List<Integer> promptLengths,
    int ttftRounds,
    List<Integer> offloadPrompts,
    int offloadRounds) {
  private static final long KIB = 1024;
  private static final long MIB = 1024 * 1024;

  public BenchPlan {
    sizes = List.copyOf(sizes);
    workingSets = List.copyOf(workingSets);
    skews = List.copyOf(skews);
    policies = List.copyOf(policies);
    promptLengths = List.copyOf(promptLengths);
    offloadPrompts = List.copyOf(offloadPrompts);
    for (long s : sizes) {
      if (s <= 0 || s % 8 != 0) {
        throw new IllegalArgumentException("sizes: " + s + " (expected: a positive multiple of 8 bytes)");
      }
    }
    positive("rounds", rounds);
    positive("sampleMillis", sampleMillis);
    if (warmupMillis < 0) {
      throw new IllegalArgumentException("warmupMillis: " + warmupMillis + " (expected: 0 or more)");
    }
    positive("cacheArtifacts", cacheArtifacts);
    positive("artifactBytes", artifactBytes);
    for (double w : workingSets) {
      if (!(w > 0)) {
        throw new IllegalArgumentException("workingSets: " + w + " (expected: a positive multiple of the cache)");
      }
    }
    for (double s : skews) {
      if (!(s >= 0 && s < 10)) {
        throw new IllegalArgumentException("skews: " + s + " (expected: a Zipf exponent from 0 to 10)");
      }
    }
    if (accesses < 10) {
      throw new IllegalArgumentException("accesses: " + accesses + " (expected: 10 or more)");
    }
    positive("hitRounds", hitRounds);
    for (int p : promptLengths) {
      if (p < 32) {
        throw new IllegalArgumentException("promptLengths: " + p + " (expected: 32 tokens or more)");
      }
    }
    positive("ttftRounds", ttftRounds);
    for (int p : offloadPrompts) {
      if (p < 16) {
        throw new IllegalArgumentException("offloadPrompts: " + p + " (expected: 16 tokens or more)");
      }
    }
    positive("offloadRounds", offloadRounds);
  }

  private static void positive(String name, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
  }

  /** The quick plan: under three minutes on a two-core machine. */
  public static BenchPlan quick() {
    return new BenchPlan(List.of(64 * KIB, MIB, 4 * MIB), 5, 60, 200,
        256, 4096, List.of(0.5, 1.0, 2.0, 4.0, 8.0), List.of(0.99), 20_000, 1, List.of(),
        List.of(512, 1024, 2048), 3, List.of(256), 3);
  }

  /** The full plan: the figures of the README's benchmark section. */
  public static BenchPlan full() {
    return new BenchPlan(List.of(64 * KIB, 256 * KIB, MIB, 4 * MIB, 16 * MIB, 32 * MIB), 7, 150, 600,
        1024, 4096, List.of(0.5, 1.0, 2.0, 4.0, 8.0, 16.0), List.of(0.8, 0.99), 100_000, 3, List.of(),
        List.of(512, 1024, 2048, 4096), 5, List.of(128, 256, 512), 5);
  }
}
