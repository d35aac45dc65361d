package io.stratacache.core.codec;

import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Seeded randomness for tests: the seed is {@code -Dtests.seed=HEX} or a fresh one, and a failure
 * names it ("reproduce with -Dtests.seed=...").
 */
public final class TestSeed {
  private TestSeed() {}

  /** Runs {@code body} with a {@link Random} from the seed; a failure is rethrown naming the seed. */
  public static void run(Consumer<Random> body) {
    String given = System.getProperty("tests.seed");
    long seed = given != null ? Long.parseUnsignedLong(given, 16) : ThreadLocalRandom.current().nextLong();
    try {
      body.accept(new Random(seed));
    } catch (Throwable t) {
      throw new AssertionError("failed with seed " + Long.toHexString(seed)
          + "; reproduce with -Dtests.seed=" + Long.toHexString(seed) + ": " + t, t);
    }
  }
}
