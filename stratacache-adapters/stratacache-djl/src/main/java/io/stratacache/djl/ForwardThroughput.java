package io.stratacache.djl;

/**
 * Measures how many prompt tokens per second a {@link LlamaModel} computes: each pass prefills
 * {@code tokens} into a fresh sequence (every layer's weights are acquired once per pass, so a
 * streaming {@link WeightSource} moves the whole model each pass).
 */
public final class ForwardThroughput {
  private ForwardThroughput() {}

  /**
   * Runs {@code passes} prefills of {@code tokens} and returns tokens per second over all of
   * them.
   *
   * @throws IllegalArgumentException if {@code passes} is not positive
   */
  public static double tokensPerSecond(LlamaModel model, PagedKvCache cache, int[] tokens, int passes) {
    if (passes <= 0) {
      throw new IllegalArgumentException("passes: " + passes + " (expected: > 0)");
    }
    long t0 = System.nanoTime();
    for (int p = 0; p < passes; p++) {
      try (KvSequence seq = cache.newSequence()) {
        model.forward(seq, tokens, false);
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return (double) tokens.length * passes / seconds;
  }
}
