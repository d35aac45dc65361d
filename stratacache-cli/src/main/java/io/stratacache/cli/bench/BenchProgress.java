package io.stratacache.cli.bench;

/**
 * Where {@link BenchReport} reports how far it is: each phase (one kind of measurement) in steps
 * of known number. Called on the thread that runs the benchmark.
 */
@FunctionalInterface
public interface BenchProgress {
  /**
   * {@code done} of the {@code total} steps of {@code phase} are finished. A new phase starts with
   * {@code done == 0}; a phase ends when {@code done == total}.
   */
  void update(String phase, long done, long total);

  /** Progress that goes nowhere. */
  static BenchProgress none() {
    return (phase, done, total) -> {};
  }
}
