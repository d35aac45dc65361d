package io.stratacache.djl.bench;

import io.stratacache.config.LinkMode;
import io.stratacache.djl.Checkpoint;
import io.stratacache.djl.ForwardThroughput;
import io.stratacache.djl.KvSequence;
import io.stratacache.djl.LlamaModel;
import io.stratacache.djl.Logits;
import io.stratacache.djl.ModelConfig;
import io.stratacache.djl.OffloadedWeights;
import io.stratacache.djl.PagedKvCache;
import io.stratacache.engine.StorageEngine;
import io.stratacache.params.ParamClient;
import io.stratacache.params.ParamTensor;
import io.stratacache.params.Prefetcher;
import io.stratacache.params.StagingPool;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Offload for real: a model whose layer weights are several times the CPU tier, run with its
 * layers streaming from an SSD tier through the prefetcher, against the same model resident.
 *
 * <p>The plane is built here: a {@code cpu} tier of a third of the layer weights (rounded down to
 * whole chunks) over an {@code ssd} tier in the directory given, write-through, so every layer
 * lives on the SSD and at most a third of the model fits the CPU tier at once. Each streamed pass
 * thus reads most layers back from the SSD tier (promoted into the CPU tier as any load promotes,
 * evicting the layers read before). The class path must provide the {@code cpu} and {@code ssd}
 * providers (the command line has both). Passes alternate between the two models; each
 * throughput is the median over its passes, so one pass slowed by other work on the machine does
 * not decide the ratio.
 */
public final class BeyondCpuTier {
  /** Chunk size the layers are stored in. */
  public static final long CHUNK_BYTES = 256 * 1024;

  /**
   * What a run found.
   *
   * @param cpuTierBytes capacity of the CPU tier
   * @param layerWeightBytes the layer weights as stored (float32)
   * @param depth prefetch depth
   * @param promptTokens tokens per pass
   * @param passes passes per variant
   * @param residentTokensPerSecond prompt tokens per second of the resident model (median pass)
   * @param streamedTokensPerSecond prompt tokens per second streaming from the SSD tier (median pass)
   * @param ssdChunkReads chunk loads served by the SSD tier during the streamed passes
   * @param maxAbsDiff largest difference between streamed and resident logits, every position
   */
  public record Result(long cpuTierBytes, long layerWeightBytes, int depth, int promptTokens, int passes,
      double residentTokensPerSecond, double streamedTokensPerSecond, long ssdChunkReads, float maxAbsDiff) {
    /** Streamed throughput over resident throughput. */
    public double ratio() {
      return streamedTokensPerSecond / residentTokensPerSecond;
    }
  }

  private BeyondCpuTier() {}

  /**
   * Uploads the layers of {@code checkpoint} to a fresh CPU-over-SSD plane whose SSD tier lives in
   * {@code ssdDir}, checks that streamed logits equal {@code resident}'s on {@code prompt}, then
   * times {@code passes} passes of each, alternating.
   *
   * @throws IllegalArgumentException if {@code prompt} is empty or {@code passes} or {@code
   *     depth} is out of range, or the model is too small to exceed a CPU tier of whole chunks
   */
  public static Result run(Checkpoint checkpoint, LlamaModel resident, Path ssdDir, int[] prompt, int passes, int depth) {
    Objects.requireNonNull(checkpoint, "checkpoint");
    Objects.requireNonNull(resident, "resident");
    Objects.requireNonNull(ssdDir, "ssdDir");
    Objects.requireNonNull(prompt, "prompt");
    if (prompt.length == 0) {
      throw new IllegalArgumentException("prompt: no tokens (expected: at least one)");
    }
    if (passes <= 0) {
      throw new IllegalArgumentException("passes: " + passes + " (expected: > 0)");
    }
    if (depth < 0) {
      throw new IllegalArgumentException("depth: " + depth + " (expected: >= 0)");
    }
    ModelConfig c = checkpoint.config();
    String model = "beyond-cpu-tier";
    List<List<ParamTensor>> planned = OffloadedWeights.plan(c, model, "r0", CHUNK_BYTES);
    long layerBytes = Prefetcher.groupBytes(planned.getFirst());
    long modelBytes = layerBytes * c.numLayers();
    long cpuBytes = modelBytes / 3 / CHUNK_BYTES * CHUNK_BYTES;
    if (cpuBytes < 2 * CHUNK_BYTES) {
      throw new IllegalArgumentException("checkpoint: layer weights of " + modelBytes + " bytes (expected: at least "
          + 6 * CHUNK_BYTES + " to exceed a CPU tier of whole chunks)");
    }
    try (StorageEngine engine = StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", cpuBytes))
        .tier("disk", "ssd", Map.of("path", ssdDir.toString(), "capacity", Math.max(64L << 20, 2 * modelBytes), "fsync", "never"))
        .link("hot", "disk", LinkMode.WRITE_THROUGH)
        .build();
        PagedKvCache cache = new PagedKvCache(c, 2 * (prompt.length / 16 + 1), 16)) {
      ParamClient client = new ParamClient(engine);
      List<List<ParamTensor>> plan = OffloadedWeights.upload(checkpoint, client, model, "r0", CHUNK_BYTES);
      try (StagingPool pool = new StagingPool((depth + 1) * layerBytes);
          Prefetcher prefetcher = new Prefetcher(client, pool, depth);
          OffloadedWeights streamed = new OffloadedWeights(checkpoint, prefetcher, plan)) {
        LlamaModel offloaded = new LlamaModel(streamed);
        float maxDiff = 0;
        try (KvSequence a = cache.newSequence()) {
          Logits want = resident.forward(a, prompt, true);
          try (KvSequence b = cache.newSequence()) {
            Logits got = offloaded.forward(b, prompt, true);
            for (int t = 0; t < prompt.length; t++) {
              maxDiff = Math.max(maxDiff, got.maxAbsDiff(t, want, t));
            }
          }
        }
        long ssdHits = engine.stats().tier("disk").hits();
        double[][] tokensPerSecond = new double[2][passes];
        LlamaModel[] models = {resident, offloaded};
        for (int p = 0; p < passes; p++) {
          for (int v = 0; v < 2; v++) {
            tokensPerSecond[v][p] = ForwardThroughput.tokensPerSecond(models[v], cache, prompt, 1);
          }
        }
        long ssdReads = engine.stats().tier("disk").hits() - ssdHits;
        return new Result(cpuBytes, modelBytes, depth, prompt.length, passes,
            InferenceBenchmark.median(tokensPerSecond[0]), InferenceBenchmark.median(tokensPerSecond[1]), ssdReads, maxDiff);
      }
    }
  }
}
