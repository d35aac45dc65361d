package io.stratacache.cli.bench;

import io.stratacache.djl.Checkpoint;
import io.stratacache.djl.ForwardThroughput;
import io.stratacache.djl.LlamaModel;
import io.stratacache.djl.ModelConfig;
import io.stratacache.djl.OffloadedWeights;
import io.stratacache.djl.PagedKvCache;
import io.stratacache.djl.ResidentWeights;
import io.stratacache.engine.StorageEngine;
import io.stratacache.params.ParamClient;
import io.stratacache.params.ParamTensor;
import io.stratacache.params.Prefetcher;
import io.stratacache.params.StagingPool;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Parameter offload: prompt tokens per second of a forward pass against prompt length, with the
 * weights fully resident, and streamed from a CPU tier through a staging pool of three layers with
 * prefetch depth 2 and with none. The model is {@link TtftBench}'s. Every round runs each variant
 * once, in turn; the first round warms up and is not counted; ratios to the resident model (and of
 * prefetch to no prefetch) are taken round by round.
 */
final class OffloadBench {
  static final String CHART = "offload";
  static final String RESIDENT = "fully resident";
  static final String PREFETCH = "offloaded, prefetch 2";
  static final String NO_PREFETCH = "offloaded, no prefetch";
  private static final int DEPTH = 2;

  private final BenchPlan plan;
  private final BenchResults results;
  private final BenchProgress progress;
  private final Path scratch;

  OffloadBench(BenchPlan plan, BenchResults results, BenchProgress progress, Path scratch) {
    this.plan = plan;
    this.results = results;
    this.progress = progress;
    this.scratch = scratch;
  }

  void run() {
    results.add(new ChartSpec(CHART, "offloaded forward throughput against prompt length", "prompt length (tokens, log scale)",
        "prompt tokens per second", "tokens", "tokens/s", true, false));
    results.baseline(PREFETCH, RESIDENT);
    results.baseline(NO_PREFETCH, RESIDENT);
    long total = (long) plan.offloadPrompts().size() * (plan.offloadRounds() + 1);
    long done = 0;
    progress.update("parameter offload", 0, total);
    Path dir = TtftBench.checkpoint(scratch);
    try (Checkpoint checkpoint = Checkpoint.open(dir);
        ResidentWeights weights = ResidentWeights.load(checkpoint);
        StorageEngine engine = StorageEngine.builder().tier("cpu", "cpu", Map.of("capacity", "512MiB")).build()) {
      ModelConfig model = checkpoint.config();
      ParamClient client = new ParamClient(engine);
      List<List<ParamTensor>> layers = OffloadedWeights.upload(checkpoint, client, "bench-offload", "r1", 1 << 20);
      long budget = (DEPTH + 1) * Prefetcher.groupBytes(layers.getFirst());
      try (StagingPool pool2 = new StagingPool(budget);
          Prefetcher p2 = new Prefetcher(client, pool2, DEPTH);
          OffloadedWeights w2 = new OffloadedWeights(checkpoint, p2, layers);
          StagingPool pool0 = new StagingPool(budget);
          Prefetcher p0 = new Prefetcher(client, pool0, 0);
          OffloadedWeights w0 = new OffloadedWeights(checkpoint, p0, layers)) {
        LlamaModel[] models = {new LlamaModel(weights), new LlamaModel(w2), new LlamaModel(w0)};
        String[] names = {RESIDENT, PREFETCH, NO_PREFETCH};
        for (int length : plan.offloadPrompts()) {
          int[] tokens = new int[length];
          SplittableRandom random = new SplittableRandom(length);
          for (int i = 0; i < length; i++) {
            tokens[i] = random.nextInt(256);
          }
          List<List<Double>> tps = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
          try (PagedKvCache cache = new PagedKvCache(model, length / 16 + 1, 16)) {
            for (int r = -1; r < plan.offloadRounds(); r++) {
              for (int v = 0; v < models.length; v++) {
                double t = ForwardThroughput.tokensPerSecond(models[v], cache, tokens, 1);
                if (r >= 0) {
                  tps.get(v).add(t);
                }
              }
              progress.update("parameter offload", ++done, total);
            }
          }
          for (int v = 0; v < models.length; v++) {
            results.add(new Figure(CHART, names[v], length, tps.get(v)));
          }
        }
      }
      results.note(String.format(java.util.Locale.ROOT, "Offload: the TTFT model's %d layers of %.1f MiB each in a CPU tier, staged through a pool of %d "
          + "layers; one forward pass per variant per round.", model.numLayers(), Prefetcher.groupBytes(layers.getFirst()) / 1048576.0, DEPTH + 1));
    }
  }
}
