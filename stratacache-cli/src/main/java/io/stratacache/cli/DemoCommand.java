package io.stratacache.cli;

import io.stratacache.config.StrataConfig;
import io.stratacache.djl.Checkpoint;
import io.stratacache.djl.CheckpointGenerator;
import io.stratacache.djl.DjlRuntime;
import io.stratacache.djl.ForwardThroughput;
import io.stratacache.djl.KvSequence;
import io.stratacache.djl.LlamaModel;
import io.stratacache.djl.ModelConfig;
import io.stratacache.djl.OffloadedWeights;
import io.stratacache.djl.bench.BeyondCpuTier;
import io.stratacache.djl.PagedKvCache;
import io.stratacache.djl.PromptTokenizer;
import io.stratacache.djl.ResidentWeights;
import io.stratacache.djl.ReusingPrefill;
import io.stratacache.engine.StorageEngine;
import io.stratacache.kv.KvPrefixCache;
import io.stratacache.params.ParamClient;
import io.stratacache.params.ParamTensor;
import io.stratacache.params.Prefetcher;
import io.stratacache.params.StagingPool;
import io.stratacache.spi.LayerStats;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code stratacache demo}: a small generated Llama-family model (or, with {@code --model DIR}, a
 * user's Hugging Face checkpoint and its tokenizer) on the embedded configuration,
 * serving a workload whose prompts share a long system prompt and documents. Part one shows KV
 * prefix reuse (per request: prompt tokens, reused tokens by tier, time to first token cold and
 * warm, and that warm logits equal cold ones); part two shows parameter offload (forward
 * throughput with weights streamed from the plane, with and without prefetch, against a fully
 * resident model). Exits non-zero if warm and cold logits ever disagree.
 */
final class DemoCommand {
  private static final String MODEL = "demo-llama";
  private static final long SEED = 42;
  private static final float TOLERANCE = 1e-4f;

  private final PrintStream out;
  private final PrintStream err;
  private final boolean quick;
  private final Path userModel;
  private PromptTokenizer tokenizer = PromptTokenizer.bytes();
  private String modelName = MODEL;

  DemoCommand(PrintStream out, PrintStream err, boolean quick) {
    this(out, err, quick, null);
  }

  /** With {@code userModel} a checkpoint directory to run instead of the generated model (null: generate). */
  DemoCommand(PrintStream out, PrintStream err, boolean quick, Path userModel) {
    this.out = out;
    this.err = err;
    this.quick = quick;
    this.userModel = userModel;
  }

  /** One request of the workload. */
  record Request(String name, String text) {}

  /** The demo's embedded configuration (a CPU tier over an SSD tier), named in messages. */
  static final String CONFIG_RESOURCE = "io/stratacache/cli/demo-config.yaml";

  static StrataConfig configuration() {
    try (var in = DemoCommand.class.getClassLoader().getResourceAsStream(CONFIG_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(CONFIG_RESOURCE + " is missing from the class path (a packaging error)");
      }
      return StrataConfig.resolve(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
          "classpath:" + CONFIG_RESOURCE);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + CONFIG_RESOURCE, e);
    }
  }

  /**
   * Runs the demo on {@code strata}. Every tier is opened before any model work starts, so a
   * configuration error stops the demo at once.
   */
  void run(StrataConfig strata) {
    try (StorageEngine engine = StorageEngine.open(strata)) {
      DjlRuntime.offline();
      if (userModel != null) {
        runOn(engine, strata, userModel);
        return;
      }
      Path dir;
      try {
        dir = Files.createTempDirectory("stratacache-demo-");
      } catch (IOException e) {
        throw new IllegalStateException("cannot create a temporary directory: " + e.getMessage(), e);
      }
      try {
        ModelConfig config = CheckpointGenerator.tinyLlama();
        out.printf(Locale.ROOT, "StrataCache demo: %s-shaped model, %d layers, hidden %d, %d/%d heads, byte tokenizer (vocab %d)%n",
            config.modelType(), config.numLayers(), config.hiddenSize(), config.numHeads(), config.numKvHeads(), config.vocabSize());
        CheckpointGenerator.write(dir, config, SEED);
        try (Checkpoint checkpoint = Checkpoint.open(dir); ResidentWeights weights = ResidentWeights.load(checkpoint)) {
          out.printf(Locale.ROOT, "plane: %s (from %s)%n%n", describeTiers(engine), strata.source());
          LlamaModel model = new LlamaModel(weights);
          Totals totals = kvReuse(engine, model);
          Offload offload = offload(engine, checkpoint, model);
          beyondCpuTier(checkpoint, model, dir.resolve("beyond-cpu-tier"));
          summary(engine, totals, offload);
        }
      } finally {
        deleteQuietly(dir);
      }
    }
  }

  private void runOn(StorageEngine engine, StrataConfig strata, Path dir) {
    try (Checkpoint checkpoint = Checkpoint.open(dir);
        PromptTokenizer t = PromptTokenizer.forCheckpoint(dir, checkpoint.config());
        ResidentWeights weights = ResidentWeights.load(checkpoint)) {
      tokenizer = t;
      modelName = "user-" + dir.toAbsolutePath().normalize().getFileName();
      ModelConfig config = checkpoint.config();
      out.printf(Locale.ROOT, "StrataCache demo: %s (%s), %d layers, hidden %d, %d/%d heads, rope %s, %s (vocab %d)%n", dir,
          config.modelType(), config.numLayers(), config.hiddenSize(), config.numHeads(), config.numKvHeads(),
          config.ropeScaling().type(), tokenizer.describe(), config.vocabSize());
      out.printf(Locale.ROOT, "plane: %s (from %s)%n%n", describeTiers(engine), strata.source());
      LlamaModel model = new LlamaModel(weights);
      Totals totals = kvReuse(engine, model);
      Offload offload = offload(engine, checkpoint, model);
      summary(engine, totals, offload);
    }
  }

  private static String describeTiers(StorageEngine engine) {
    List<String> parts = new ArrayList<>();
    for (LayerStats s : engine.stats().tiers()) {
      parts.add(s.tier() + " [" + engine.tier(s.tier()).provider() + ", " + mib(s.capacityBytes()) + "]");
    }
    return String.join(" -> ", parts);
  }

  // ------------------------------------------------------------------ part one: KV prefix reuse

  static final class Totals {
    long promptTokens;
    long reusedTokens;
    long coldNanos;
    long warmNanos;
    long hitRequestsCold;
    long hitRequestsWarm;
    float maxDiff;
    final java.util.Map<String, Long> byTier = new java.util.LinkedHashMap<>();
    long storedBytes;
  }

  private Totals kvReuse(StorageEngine engine, LlamaModel model) {
    List<Request> requests = Workload.requests(quick);
    Totals t = new Totals();
    out.println("Part 1 - KV prefix reuse: chat turns and document questions sharing a system prompt and documents");
    out.printf(Locale.ROOT, "%-3s %-26s %7s %16s %9s %10s %10s %8s%n", "#", "request", "prompt", "reused (by tier)", "computed",
        "TTFT cold", "TTFT warm", "speedup");
    try (PagedKvCache cache = new PagedKvCache(model.config(), 512, 16);
        KvPrefixCache kv = KvPrefixCache.builder(engine).model(modelName).layout(ReusingPrefill.layoutOf(cache))
            .layers(model.config().numLayers()).build()) {
      ReusingPrefill prefill = new ReusingPrefill(model, cache, kv);
      try (KvSequence warmup = cache.newSequence()) {
        prefill.coldPrefill(warmup, tokenizer.encode("warm-up"));
      }
      int i = 0;
      try (Progress progress = new Progress(err, "serving requests", requests.size())) {
        for (Request r : requests) {
          i++;
          int[] tokens = tokenizer.encode(r.text());
          ReusingPrefill.Result cold;
          ReusingPrefill.Result warm;
          try (KvSequence c = cache.newSequence()) {
            cold = prefill.coldPrefill(c, tokens);
          }
          try (KvSequence w = cache.newSequence()) {
            warm = prefill.prefill(w, tokens);
          }
          float diff = warm.logits().maxAbsDiff(0, cold.logits(), 0);
          if (!(diff <= TOLERANCE)) {
            throw new IllegalStateException("request " + r.name() + ": warm logits differ from cold by " + diff + " (expected: <= " + TOLERANCE + ")");
          }
          t.maxDiff = Math.max(t.maxDiff, diff);
          t.promptTokens += tokens.length;
          t.reusedTokens += warm.reusedTokens();
          t.coldNanos += cold.ttftNanos();
          t.warmNanos += warm.ttftNanos();
          if (warm.reusedTokens() > 0) {
            t.hitRequestsCold += cold.ttftNanos();
            t.hitRequestsWarm += warm.ttftNanos();
          }
          StringBuilder tiers = new StringBuilder();
          for (var e : warm.lookup().tokensByTier().entrySet()) {
            if (e.getValue() > 0) {
              tiers.append(tiers.isEmpty() ? "" : " ").append(e.getKey()).append(':').append(e.getValue());
              t.byTier.merge(e.getKey(), (long) e.getValue(), Long::sum);
            }
          }
          if (warm.stored() != null) {
            t.storedBytes += warm.stored().storedBytes();
          }
          progress.erase();
          out.printf(Locale.ROOT, "%-3d %-26s %7d %16s %9d %7.0f ms %7.0f ms %7.1fx%n", i, r.name(), tokens.length,
              warm.reusedTokens() + (tiers.isEmpty() ? "" : " (" + tiers + ")"), tokens.length - warm.reusedTokens(),
              cold.ttftNanos() / 1e6, warm.ttftNanos() / 1e6, (double) cold.ttftNanos() / warm.ttftNanos());
          progress.step(1);
        }
      }
    }
    out.println();
    return t;
  }

  // ------------------------------------------------------------------ part two: parameter offload

  record Offload(double resident, double prefetched, double unprefetched, long budget, long modelBytes, int depth, int promptTokens) {}

  private Offload offload(StorageEngine engine, Checkpoint checkpoint, LlamaModel resident) {
    ModelConfig c = resident.config();
    out.println("Part 2 - parameter offload: layers streamed from the plane through a bounded staging pool");
    long chunkBytes = 256 * 1024;
    List<List<ParamTensor>> plan = OffloadedWeights.upload(checkpoint, new ParamClient(engine), modelName, "r" + SEED, chunkBytes);
    long layerBytes = Prefetcher.groupBytes(plan.getFirst());
    int depth = 2;
    long budget = (depth + 1) * layerBytes;
    int[] prompt = tokenizer.encode(Workload.SYSTEM_PROMPT.substring(0, Math.min(Workload.SYSTEM_PROMPT.length(), quick ? 255 : 511)));
    int passes = quick ? 2 : 4;
    double[] seconds = new double[3];
    try (PagedKvCache cache = new PagedKvCache(c, 64, 16);
        StagingPool pool2 = new StagingPool(budget);
        Prefetcher prefetch2 = new Prefetcher(new ParamClient(engine), pool2, depth);
        OffloadedWeights streamed2 = new OffloadedWeights(checkpoint, prefetch2, plan);
        StagingPool pool0 = new StagingPool(budget);
        Prefetcher prefetch0 = new Prefetcher(new ParamClient(engine), pool0, 0);
        OffloadedWeights streamed0 = new OffloadedWeights(checkpoint, prefetch0, plan);
        Progress progress = new Progress(err, "offloaded forward passes", 3L * (passes + 1))) {
      LlamaModel[] models = {resident, new LlamaModel(streamed2), new LlamaModel(streamed0)};
      // Passes alternate between the three variants, so load from elsewhere on the machine
      // slows them alike; the first round warms up and is not counted.
      for (int p = -1; p < passes; p++) {
        for (int mode = 0; mode < 3; mode++) {
          double tps = ForwardThroughput.tokensPerSecond(models[mode], cache, prompt, 1);
          if (p >= 0) {
            seconds[mode] += prompt.length / tps;
          }
          progress.step(1);
        }
      }
    }
    double[] result = new double[3];
    for (int mode = 0; mode < 3; mode++) {
      result[mode] = (double) prompt.length * passes / seconds[mode];
    }
    Offload o = new Offload(result[0], result[1], result[2], budget, layerBytes * c.numLayers(), depth, prompt.length);
    out.printf(Locale.ROOT, "  fully resident:            %8.0f tokens/s%n", o.resident());
    out.printf(Locale.ROOT, "  offloaded, prefetch %d:     %8.0f tokens/s  (%.2fx resident)%n", depth, o.prefetched(), o.prefetched() / o.resident());
    out.printf(Locale.ROOT, "  offloaded, no prefetch:    %8.0f tokens/s  (%.2fx resident)%n", o.unprefetched(), o.unprefetched() / o.resident());
    out.printf(Locale.ROOT, "  staging budget %s for %d of %d layers (%s of layer weights live in the plane)%n%n",
        mib(budget), depth + 1, c.numLayers(), mib(o.modelBytes()));
    return o;
  }

  /** Part two, continued: a plane whose CPU tier is a third of the model streams it from SSD. */
  private void beyondCpuTier(Checkpoint checkpoint, LlamaModel resident, Path ssdDir) {
    int[] prompt = ByteTokenizer.encode(Workload.SYSTEM_PROMPT.substring(0, Math.min(Workload.SYSTEM_PROMPT.length(), 255)), true);
    BeyondCpuTier.Result r = BeyondCpuTier.run(checkpoint, resident, ssdDir, prompt, quick ? 2 : 4, 2);
    if (!(r.maxAbsDiff() <= TOLERANCE)) {
      throw new IllegalStateException("streamed from SSD: logits differ from resident by " + r.maxAbsDiff() + " (expected: <= " + TOLERANCE + ")");
    }
    out.printf(Locale.ROOT, "  beyond the CPU tier: %s of layer weights, CPU tier %s over an SSD tier, prefetch %d%n",
        mib(r.layerWeightBytes()), mib(r.cpuTierBytes()), r.depth());
    out.printf(Locale.ROOT, "  streamed from SSD:         %8.0f tokens/s  (%.2fx resident, %d chunk reads from SSD, logits equal resident: max |difference| %.1e)%n%n",
        r.streamedTokensPerSecond(), r.ratio(), r.ssdChunkReads(), r.maxAbsDiff());
  }

  // ------------------------------------------------------------------ summary

  private void summary(StorageEngine engine, Totals t, Offload o) {
    out.println("Summary");
    out.printf(Locale.ROOT, "  prompt tokens %d, reused from the plane %d: hit rate %.1f%%%n", t.promptTokens, t.reusedTokens,
        100.0 * t.reusedTokens / Math.max(1, t.promptTokens));
    out.printf(Locale.ROOT, "  reused tokens by tier: %s%n", t.byTier.isEmpty() ? "none" : t.byTier);
    out.printf(Locale.ROOT, "  TTFT warm/cold: %.2fx over all requests, %.2fx over requests with a cached prefix%n",
        (double) t.warmNanos / t.coldNanos, t.hitRequestsCold == 0 ? 1.0 : (double) t.hitRequestsWarm / t.hitRequestsCold);
    out.printf(Locale.ROOT, "  warm logits equal cold ones: max |difference| %.2e (tolerance %.0e)%n", t.maxDiff, TOLERANCE);
    for (LayerStats s : engine.stats().tiers()) {
      out.printf(Locale.ROOT, "  tier %-8s %10s used of %s, %d artifacts (KV chunks and parameter chunks)%n", s.tier(),
          mib(s.usedBytes()), mib(s.capacityBytes()), s.artifacts());
    }
    out.printf(Locale.ROOT, "  offload throughput: prefetch %d %.2fx resident, no prefetch %.2fx resident%n", o.depth(),
        o.prefetched() / o.resident(), o.unprefetched() / o.resident());
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory left behind is harmless
    }
  }
}
