package io.stratacache.testkit;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Runs code under a given process umask, for tests that check the modes a durable layer creates
 * files with whatever the umask. The umask is process-wide: run such tests on their own (the
 * build runs test classes one at a time).
 */
public final class Umask {
  /** Code that may throw. */
  @FunctionalInterface
  public interface Body {
    /** Runs the body. */
    void run() throws Exception;
  }

  private Umask() {}

  /**
   * Sets the umask to {@code mask}, runs {@code body}, and restores the previous umask.
   *
   * @throws IllegalArgumentException if {@code mask} is not within {@code 0} to {@code 0777}
   */
  // A downcall to umask(2): Java has no other way to set the umask of its own process.
  @SuppressWarnings("restricted")
  public static void with(int mask, Body body) throws Exception {
    if (mask < 0 || mask > 0777) {
      throw new IllegalArgumentException("mask: " + Integer.toOctalString(mask) + " (expected: 0 to 0777 octal)");
    }
    Linker linker = Linker.nativeLinker();
    MethodHandle umask = linker.downcallHandle(
        linker.defaultLookup().find("umask").orElseThrow(() -> new IllegalStateException("libc has no umask")),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    int old = call(umask, mask);
    try {
      body.run();
    } finally {
      call(umask, old);
    }
  }

  private static int call(MethodHandle umask, int mask) {
    try {
      return (int) umask.invokeExact(mask);
    } catch (Throwable t) {
      throw new IllegalStateException("umask(" + Integer.toOctalString(mask) + ") failed", t);
    }
  }
}
