package io.stratacache.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The seed of randomised durability and fault tests: {@code -Dtests.seed} (decimal or {@code
 * 0x} hex) or, if unset, a random one fixed for the run. Register {@link #REPORTER} with
 * {@code @RegisterExtension} to print the seed of a failing test.
 */
public final class Seeds {
  private static final long RUN_SEED = parse(System.getProperty("tests.seed"));

  /** Prints how to reproduce a failed test. */
  public static final TestWatcher REPORTER = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      ExtensionContext top = context;
      while (top.getParent().flatMap(ExtensionContext::getTestClass).isPresent()) {
        top = top.getParent().orElseThrow();
      }
      System.err.printf("%s failed: reproduce with -Dtests.seed=%s -Dtest=%s#%s%n", context.getDisplayName(),
          format(RUN_SEED), top.getRequiredTestClass().getSimpleName(), context.getRequiredTestMethod().getName());
    }
  };

  private Seeds() {}

  /** This run's seed. */
  public static long seed() {
    return RUN_SEED;
  }

  /** {@code seed} as {@code -Dtests.seed} takes it. */
  public static String format(long seed) {
    return "0x" + Long.toHexString(seed);
  }

  private static long parse(String s) {
    if (s == null || s.isBlank()) {
      return FaultyLayer.mix(System.nanoTime() ^ ProcessHandle.current().pid());
    }
    s = s.trim();
    return s.startsWith("0x") || s.startsWith("0X") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
  }
}
