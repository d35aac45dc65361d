package io.stratacache.cli.bench;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.EvictionPolicy;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Hit rate against working-set size, one series per eviction policy: a CPU tier of the engine
 * holding {@link BenchPlan#cacheArtifacts()} artifacts, configured with the policy by name
 * ({@code eviction_policy}), serves a Zipf-distributed trace over a working set of a multiple of
 * its size; a load that misses stores the artifact (a read-through cache). The first fifth of the
 * trace fills the cache and is not counted. Each point is measured once per seed, with the same
 * traces for every policy; a new policy of the engine is one more name in {@link #POLICIES}.
 */
final class HitRateBench {
  /**
   * The policies the report shows, in its order, where the engine's build has them ({@link
   * EvictionPolicy#forName} accepts the name).
   */
  static final List<String> POLICIES = List.of("lru", "fifo", "s3fifo");

  /** The names of {@link #POLICIES} that this build of the engine has. */
  static List<String> available() {
    List<String> names = new ArrayList<>();
    for (String n : POLICIES) {
      try {
        EvictionPolicy.forName(n);
        names.add(n);
      } catch (IllegalArgumentException notInThisBuild) {
        // left out of the default set; the report's note says so
      }
    }
    return names;
  }

  private final BenchPlan plan;
  private final BenchResults results;
  private final BenchProgress progress;

  HitRateBench(BenchPlan plan, BenchResults results, BenchProgress progress) {
    this.plan = plan;
    this.results = results;
    this.progress = progress;
  }

  /** The chart id of the traces with exponent {@code skew}. */
  static String chartId(double skew) {
    return String.format(Locale.ROOT, "hit-rate-zipf-%.2f", skew);
  }

  /** The policies to measure: the plan's, or every one this build of the engine knows. */
  List<String> policies() {
    List<String> names = plan.policies().isEmpty() ? available() : plan.policies();
    for (String n : names) {
      EvictionPolicy.forName(n); // fails naming the policies there are
    }
    return names;
  }

  void run() {
    List<String> policies = policies();
    long total = (long) plan.skews().size() * plan.workingSets().size() * policies.size() * plan.hitRounds();
    long done = 0;
    progress.update("hit rate", 0, total);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment payload = MemoryContenders.patterned(arena.allocate(plan.artifactBytes(), 64));
      for (double skew : plan.skews()) {
        String chart = chartId(skew);
        results.add(new ChartSpec(chart, String.format(Locale.ROOT, "hit rate against working set, Zipf s=%.2f, cache of %d artifacts", skew,
            plan.cacheArtifacts()), "working set (multiples of the cache, log scale)", "hit rate (%)", "x", "%", true, false));
        for (double ws : plan.workingSets()) {
          int keys = Math.max(1, (int) Math.round(ws * plan.cacheArtifacts()));
          for (String policy : policies) {
            List<Double> rates = new ArrayList<>();
            for (int seed = 0; seed < plan.hitRounds(); seed++) {
              rates.add(100 * hitRate(policy, keys, skew, seed, payload));
              progress.update("hit rate", ++done, total);
            }
            results.add(new Figure(chart, policy, ws, rates));
          }
        }
      }
    }
    results.note(String.format(Locale.ROOT, "Hit rate: a CPU tier of %d artifacts of %s each, read-through, %d accesses per trace "
        + "(the first fifth not counted), %d trace(s) per point.", plan.cacheArtifacts(), BenchReport.size(plan.artifactBytes()),
        plan.accesses(), plan.hitRounds()));
    List<String> missing = POLICIES.stream().filter(p -> !policies.contains(p)).toList();
    if (plan.policies().isEmpty() && !missing.isEmpty()) {
      results.note("Eviction policies not in this build of the engine, so not measured: " + String.join(", ", missing) + ".");
    }
  }

  /** The fraction of counted accesses that hit, for one trace. */
  private double hitRate(String policy, int keys, double skew, long seed, MemorySegment payload) {
    ArtifactId[] ids = new ArtifactId[keys];
    for (int k = 0; k < keys; k++) {
      ids[k] = ArtifactId.of("bench", "hit", Integer.toString(k));
    }
    ArtifactMeta meta = ArtifactMeta.custom();
    ZipfTrace trace = new ZipfTrace(keys, skew, 0x5EED + seed * 7919L + keys);
    int warmup = plan.accesses() / 5;
    long hits = 0;
    try (StorageEngine engine = StorageEngine.builder()
        .tier("cache", "cpu", Map.of("capacity", (long) plan.cacheArtifacts() * plan.artifactBytes(), "eviction_policy", policy))
        .build()) {
      for (int i = 0; i < plan.accesses(); i++) {
        ArtifactId id = ids[trace.next()];
        try (Lease lease = engine.tryLoad(id)) {
          if (lease != null) {
            if (i >= warmup) {
              hits++;
            }
            continue;
          }
        }
        engine.store(id, meta, payload);
      }
    }
    return (double) hits / (plan.accesses() - warmup);
  }
}
