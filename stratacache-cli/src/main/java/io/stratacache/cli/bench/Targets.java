package io.stratacache.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The project's performance targets (DESIGN.md) that a report can check: each a ratio of two
 * series of one chart at one point, taken round by round, against a threshold. A target whose
 * series were not measured in the run is left out.
 */
final class Targets {
  private Targets() {}

  /**
   * One target.
   *
   * @param label what is compared, as the report names it
   * @param chart the chart whose series are compared
   * @param series the numerator
   * @param baseline the denominator
   * @param x the point, or {@code NaN} for the largest measured up to {@code maxX}
   * @param maxX the largest point to use when {@code x} is {@code NaN}
   * @param threshold the ratio to reach (at least)
   */
  record Target(String label, String chart, String series, String baseline, double x, double maxX, double threshold) {}

  /**
   * A target's outcome.
   *
   * @param x the point it was checked at
   * @param ratios the paired ratios
   */
  record Outcome(Target target, double x, List<Double> ratios) {
    boolean met() {
      return Figure.median(ratios) >= target.threshold();
    }
  }

  private static final double ANY = Double.NaN;
  private static final double MIB16 = 16 * 1024;

  static final List<Target> ALL = List.of(
      new Target("CPU tier store / plain copy", ThroughputBench.STORE, ThroughputBench.CPU, MemoryContenders.COPY, ANY, MIB16, 0.9),
      new Target("CPU tier loadInto / plain copy", ThroughputBench.LOAD, ThroughputBench.CPU, MemoryContenders.COPY, ANY, MIB16, 0.9),
      new Target("CPU tier store / Ehcache 3 off-heap put", ThroughputBench.STORE, ThroughputBench.CPU, MemoryContenders.EHCACHE, ANY, MIB16, 3),
      new Target("CPU tier loadInto / Ehcache 3 off-heap get", ThroughputBench.LOAD, ThroughputBench.CPU, MemoryContenders.EHCACHE, ANY, MIB16, 3),
      new Target("CPU tier store / Caffeine put", ThroughputBench.STORE, ThroughputBench.CPU, MemoryContenders.CAFFEINE, ANY, MIB16, 3),
      new Target("CPU tier loadInto / Caffeine get", ThroughputBench.LOAD, ThroughputBench.CPU, MemoryContenders.CAFFEINE, ANY, MIB16, 3),
      new Target("CXL tier store / plain copy", ThroughputBench.STORE, ThroughputBench.CXL, MemoryContenders.COPY, ANY, MIB16, 0.9),
      new Target("CXL tier loadInto / plain copy", ThroughputBench.LOAD, ThroughputBench.CXL, MemoryContenders.COPY, ANY, MIB16, 0.9),
      new Target("SSD tier store / raw file write", ThroughputBench.STORE, ThroughputBench.SSD, RawFile.NAME, ANY, MIB16, 0.8),
      new Target("SSD tier loadInto / raw file read", ThroughputBench.LOAD, ThroughputBench.SSD, RawFile.NAME, ANY, MIB16, 0.9),
      new Target("Redis tier store / raw Lettuce SET", ThroughputBench.STORE, ThroughputBench.REDIS, RedisServer.Lettuce.NAME, ANY, MIB16, 0.9),
      new Target("Redis tier loadInto / raw Lettuce GET + copy", ThroughputBench.LOAD, ThroughputBench.REDIS, RedisServer.Lettuce.NAME, ANY, MIB16,
          0.9),
      new Target("Offloaded forward, prefetch 2 / fully resident", OffloadBench.CHART, OffloadBench.PREFETCH, OffloadBench.RESIDENT, ANY,
          Double.MAX_VALUE, 0.9),
      new Target("Offloaded forward, prefetch 2 / no prefetch", OffloadBench.CHART, OffloadBench.PREFETCH, OffloadBench.NO_PREFETCH, ANY,
          Double.MAX_VALUE, 1),
      new Target("TTFT speedup cold / warm, 15/16 cached (warm <= 0.15x cold)", TtftBench.CHART, TtftBench.COLD, TtftBench.WARM, ANY, 4096,
          1 / 0.15));

  /** The outcomes of every target the run measured. */
  static List<Outcome> check(BenchResults results) {
    List<Outcome> out = new ArrayList<>();
    for (Target t : ALL) {
      if (results.charts().stream().noneMatch(c -> c.id().equals(t.chart()))) {
        continue;
      }
      double x = t.x();
      if (Double.isNaN(x)) {
        x = Double.NaN;
        for (double candidate : results.xs(t.chart())) {
          if (candidate <= t.maxX() && results.figure(t.chart(), t.series(), candidate) != null
              && results.figure(t.chart(), t.baseline(), candidate) != null) {
            x = candidate;
          }
        }
        if (Double.isNaN(x)) {
          continue;
        }
      }
      List<Double> r = BenchResults.pairedRatios(results.figure(t.chart(), t.series(), x), results.figure(t.chart(), t.baseline(), x));
      if (r != null) {
        out.add(new Outcome(t, x, r));
      }
    }
    return out;
  }

  /** The threshold as the report shows it. */
  static String threshold(Target t) {
    return String.format(Locale.ROOT, "≥ %.2f×", t.threshold()).replace(".00×", "×");
  }
}
