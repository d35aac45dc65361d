package io.stratacache.cli.bench;

import io.stratacache.djl.ByteTokenizer;
import io.stratacache.djl.Checkpoint;
import io.stratacache.djl.CheckpointGenerator;
import io.stratacache.djl.DjlRuntime;
import io.stratacache.djl.KvSequence;
import io.stratacache.djl.LlamaModel;
import io.stratacache.djl.ModelConfig;
import io.stratacache.djl.PagedKvCache;
import io.stratacache.djl.ResidentWeights;
import io.stratacache.djl.ReusingPrefill;
import io.stratacache.engine.StorageEngine;
import io.stratacache.kv.KvConfig;
import io.stratacache.kv.KvPrefixCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Time to first token, cold and warm, against prompt length, on a generated Llama-shaped model
 * (DJL, PyTorch engine; 4 layers, hidden 512, 8 query and 2 KV heads of 64, float32): large
 * enough that compute, not bookkeeping, dominates. For each length the first 15/16 of the prompt
 * (whole chunks) is stored in a CPU tier; each round then asks a new question behind that prefix,
 * computed cold (every token) and warm (the prefix's KV retrieved from the tier), in alternating
 * order, and checks that the warm logits equal the cold ones. The first round of each length warms
 * the model up and is not counted. The speedup is cold / warm, round by round.
 */
final class TtftBench {
  static final String CHART = "ttft";
  static final String SPEEDUP = "ttft-speedup";
  static final String COLD = "cold (every token computed)";
  static final String WARM = "warm (15/16 reused from the CPU tier)";
  static final String RATIO = "speedup cold/warm";
  private static final long SEED = 7;
  private static final float TOLERANCE = 1e-4f;

  /** The model's {@code config.json}: parsed, so the harness follows the record's fields as they grow. */
  static final String MODEL_JSON = """
      {"model_type": "llama", "hidden_size": 512, "intermediate_size": 1376, "num_hidden_layers": 4,
       "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 64, "rms_norm_eps": 1e-5,
       "rope_theta": 10000.0, "vocab_size": %d, "torch_dtype": "float32"}
      """.formatted(ByteTokenizer.VOCAB_SIZE);

  private final BenchPlan plan;
  private final BenchResults results;
  private final BenchProgress progress;
  private final Path scratch;

  TtftBench(BenchPlan plan, BenchResults results, BenchProgress progress, Path scratch) {
    this.plan = plan;
    this.results = results;
    this.progress = progress;
    this.scratch = scratch;
  }

  /** The model's checkpoint in {@code scratch}, written on first use (DJL set to offline first). */
  static Path checkpoint(Path scratch) {
    DjlRuntime.offline();
    Path dir = scratch.resolve("model");
    if (!Files.isRegularFile(dir.resolve(ModelConfig.FILE_NAME))) {
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + dir, e);
      }
      CheckpointGenerator.write(dir, ModelConfig.parse(MODEL_JSON), SEED);
    }
    return dir;
  }

  /** Chunk size for a prompt of {@code length} tokens: a sixteenth of it, from 16 to 256 tokens. */
  static int chunkSize(int length) {
    return Math.clamp(length / 16, 16, 256);
  }

  /** Tokens of a prompt of {@code length} that are cached: 15/16 of it, rounded down to whole chunks. */
  static int cachedTokens(int length) {
    int chunk = chunkSize(length);
    return length / 16 * 15 / chunk * chunk;
  }

  void run() {
    results.add(new ChartSpec(CHART, "time to first token against prompt length", "prompt length (tokens, log scale)", "TTFT (ms, log scale)", "tokens", "ms", true, true));
    results.add(new ChartSpec(SPEEDUP, "TTFT speedup from reuse (cold / warm) against prompt length", "prompt length (tokens, log scale)",
        "speedup (cold / warm)", "tokens", "x", true, false));
    Path dir = checkpoint(scratch);
    ModelConfig model = ModelConfig.read(dir);
    long total = (long) plan.promptLengths().size() * (plan.ttftRounds() + 1);
    long done = 0;
    progress.update("time to first token", 0, total);
    try (Checkpoint checkpoint = Checkpoint.open(dir); ResidentWeights weights = ResidentWeights.load(checkpoint)) {
      LlamaModel llama = new LlamaModel(weights, 512);
      for (int length : plan.promptLengths()) {
        measure(llama, model, length);
        done += plan.ttftRounds() + 1;
        progress.update("time to first token", done, total);
      }
    }
    results.note("TTFT: " + model.numLayers() + "-layer Llama-shaped model (hidden " + model.hiddenSize() + ", " + model.numHeads() + "/"
        + model.numKvHeads() + " heads, float32, DJL PyTorch CPU), 15/16 of each prompt cached in whole chunks of a sixteenth of the prompt "
        + "(16 to 256 tokens); warm logits equal cold ones within " + TOLERANCE + " in every round.");
  }

  private void measure(LlamaModel llama, ModelConfig model, int length) {
    int cached = cachedTokens(length);
    SplittableRandom random = new SplittableRandom(SEED + length);
    int[] prefix = new int[cached];
    prefix[0] = ByteTokenizer.BOS;
    for (int i = 1; i < cached; i++) {
      prefix[i] = random.nextInt(256);
    }
    List<Double> cold = new ArrayList<>();
    List<Double> warm = new ArrayList<>();
    List<Double> speedup = new ArrayList<>();
    try (StorageEngine engine = StorageEngine.builder().tier("cpu", "cpu", Map.of("capacity", "1GiB")).build();
        PagedKvCache cache = new PagedKvCache(model, 2 * (length / 16 + 1) + 8, 16);
        KvPrefixCache kv = KvPrefixCache.builder(engine).model("bench-ttft").layout(ReusingPrefill.layoutOf(cache))
            .layers(model.numLayers()).config(KvConfig.builder().chunkSize(chunkSize(length)).savePartialChunks(false).build()).build()) {
      ReusingPrefill prefill = new ReusingPrefill(llama, cache, kv);
      try (KvSequence seq = cache.newSequence()) {
        prefill.prefill(seq, prefix);
      }
      for (int r = -1; r < plan.ttftRounds(); r++) {
        int[] tokens = Arrays.copyOf(prefix, length);
        for (int i = cached; i < length; i++) {
          tokens[i] = random.nextInt(256);
        }
        ReusingPrefill.Result c;
        ReusingPrefill.Result w;
        if ((r & 1) == 0) {
          c = cold(prefill, cache, tokens);
          w = warm(prefill, cache, tokens);
        } else {
          w = warm(prefill, cache, tokens);
          c = cold(prefill, cache, tokens);
        }
        if (w.reusedTokens() != cached) {
          throw new IllegalStateException(String.format(Locale.ROOT, "TTFT at %d tokens: the warm prefill reused %d tokens (expected: %d)",
              length, w.reusedTokens(), cached));
        }
        float diff = w.logits().maxAbsDiff(0, c.logits(), 0);
        if (!(diff <= TOLERANCE)) {
          throw new IllegalStateException("TTFT at " + length + " tokens: warm logits differ from cold by " + diff + " (expected: <= " + TOLERANCE + ")");
        }
        if (r >= 0) {
          cold.add(c.ttftNanos() / 1e6);
          warm.add(w.ttftNanos() / 1e6);
          speedup.add((double) c.ttftNanos() / w.ttftNanos());
        }
      }
    }
    results.add(new Figure(CHART, COLD, length, cold));
    results.add(new Figure(CHART, WARM, length, warm));
    results.add(new Figure(SPEEDUP, RATIO, length, speedup));
  }

  private static ReusingPrefill.Result cold(ReusingPrefill prefill, PagedKvCache cache, int[] tokens) {
    try (KvSequence s = cache.newSequence()) {
      return prefill.coldPrefill(s, tokens);
    }
  }

  /** A warm prefill; it stores the question's chunks too, which no later round asks again. */
  private static ReusingPrefill.Result warm(ReusingPrefill prefill, PagedKvCache cache, int[] tokens) {
    try (KvSequence s = cache.newSequence()) {
      return prefill.prefill(s, tokens);
    }
  }
}
