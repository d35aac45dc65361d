package io.stratacache.cli;

import io.stratacache.cli.bench.Figure;
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
    int requests;
    long promptTokens;
    long reusedTokens;
    int hitRequests;
    long hitColdNanos;
    long hitWarmNanos;
    float maxDiff;
    final java.util.Map<String, Long> byTier = new java.util.LinkedHashMap<>();
  }

  private Totals kvReuse(StorageEngine engine, LlamaModel model) {
    List<Request> requests = Workload.requests(quick);
    Totals t = new Totals();
    out.println("Part 1 - KV prefix reuse: chats and document questions behind one system prompt");
    out.println("  TTFT cold: every prompt token computed; warm: the cached prefix reused.");
    out.println("  Speedup is cold / warm (2.0x: the first token came in half the time).");
    try (PagedKvCache cache = new PagedKvCache(model.config(), 512, 16);
        KvPrefixCache kv = KvPrefixCache.builder(engine).model(modelName).layout(ReusingPrefill.layoutOf(cache))
            .layers(model.config().numLayers()).build()) {
      ReusingPrefill prefill = new ReusingPrefill(model, cache, kv);
      // the longest request backwards: as long as the longest, sharing no prefix with any
      String longest = requests.stream().map(Request::text).max(java.util.Comparator.comparingInt(String::length)).orElse("warm-up");
      int[] warmupTokens = tokenizer.encode(new StringBuilder(longest).reverse().toString());
      try (Progress progress = new Progress(err, "warming up the model", WARMUP_ROUNDS)) {
        warmUp(prefill, cache, warmupTokens, progress);
      }
      out.println(DemoTable.header());
      int i = 0;
      try (Progress progress = new Progress(err, "serving requests", requests.size())) {
        for (Request r : requests) {
          i++;
          int[] tokens = tokenizer.encode(r.text());
          ReusingPrefill.Result cold;
          ReusingPrefill.Result warm;
          // alternate the order, so neither side always runs on caches the other warmed
          if (i % 2 == 1) {
            cold = timed(prefill, cache, tokens, false);
            warm = timed(prefill, cache, tokens, true);
          } else {
            warm = timed(prefill, cache, tokens, true);
            cold = timed(prefill, cache, tokens, false);
          }
          float diff = warm.logits().maxAbsDiff(0, cold.logits(), 0);
          if (!(diff <= TOLERANCE)) {
            throw new IllegalStateException("request " + r.name() + ": warm logits differ from cold by " + diff + " (expected: <= " + TOLERANCE + ")");
          }
          java.util.Map<String, Integer> byTier = warm.lookup() == null ? java.util.Map.of()
              : DemoTable.reusedByTier(warm.lookup().tokensByTier(), warm.reusedTokens());
          t.maxDiff = Math.max(t.maxDiff, diff);
          t.requests++;
          t.promptTokens += tokens.length;
          t.reusedTokens += warm.reusedTokens();
          if (warm.reusedTokens() > 0) {
            t.hitRequests++;
            t.hitColdNanos += cold.ttftNanos();
            t.hitWarmNanos += warm.ttftNanos();
          }
          byTier.forEach((tier, n) -> {
            if (n > 0) {
              t.byTier.merge(tier, (long) n, Long::sum);
            }
          });
          progress.erase();
          for (String line : DemoTable.row(i, r.name(), tokens.length, warm.reusedTokens(), byTier, cold.ttftNanos(), warm.ttftNanos())) {
            out.println(line);
          }
          progress.step(1);
        }
      }
    }
    out.println();
    return t;
  }

  private static final int WARMUP_ROUNDS = 3;

  /**
   * Runs the cold and the warm path a few times on {@code tokens} (a prompt that no request
   * shares), so the timed rows measure the cache and not the JIT compiler or the tensor library's
   * first allocations.
   */
  private static void warmUp(ReusingPrefill prefill, PagedKvCache cache, int[] tokens, Progress progress) {
    for (int round = 0; round < WARMUP_ROUNDS; round++) {
      timed(prefill, cache, tokens, false);
      timed(prefill, cache, tokens, true);
      progress.step(1);
    }
  }

  private static ReusingPrefill.Result timed(ReusingPrefill prefill, PagedKvCache cache, int[] tokens, boolean reuse) {
    try (KvSequence seq = cache.newSequence()) {
      return reuse ? prefill.prefill(seq, tokens) : prefill.coldPrefill(seq, tokens);
    }
  }

  // ------------------------------------------------------------------ part two: parameter offload

  record Offload(double resident, double prefetched, double unprefetched, int depth) {}

  private Offload offload(StorageEngine engine, Checkpoint checkpoint, LlamaModel resident) {
    ModelConfig c = resident.config();
    out.println("Part 2 - parameter offload: weights streamed from the plane, layer by layer");
    long chunkBytes = 256 * 1024;
    List<List<ParamTensor>> plan = OffloadedWeights.upload(checkpoint, new ParamClient(engine), modelName, "r" + SEED, chunkBytes);
    long layerBytes = Prefetcher.groupBytes(plan.getFirst());
    int depth = 2;
    long budget = (depth + 1) * layerBytes;
    int[] prompt = tokenizer.encode(Workload.SYSTEM_PROMPT.substring(0, Math.min(Workload.SYSTEM_PROMPT.length(), quick ? 255 : 511)));
    int passes = quick ? 3 : 5;
    List<List<Double>> tps = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
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
          double v = ForwardThroughput.tokensPerSecond(models[mode], cache, prompt, 1);
          if (p >= 0) {
            tps.get(mode).add(v);
          }
          progress.step(1);
        }
      }
    }
    for (String line : DemoTable.offload(prompt.length, depth, c.numLayers(), mib(budget), mib(layerBytes * c.numLayers()), tps.get(0), tps.get(1),
        tps.get(2))) {
      out.println(line);
    }
    out.println();
    return new Offload(Figure.median(tps.get(0)), Figure.median(tps.get(1)), Figure.median(tps.get(2)), depth);
  }

  /** Part two, continued: a plane whose CPU tier is a third of the model streams it from SSD. */
  private void beyondCpuTier(Checkpoint checkpoint, LlamaModel resident, Path ssdDir) {
    int[] prompt = tokenizer.encode(Workload.SYSTEM_PROMPT.substring(0, Math.min(Workload.SYSTEM_PROMPT.length(), 255)));
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
    List<String> byTier = new ArrayList<>();
    for (LayerStats s : engine.stats().tiers()) {
      byTier.add(s.tier() + ":" + t.byTier.getOrDefault(s.tier(), 0L));
    }
    out.printf(Locale.ROOT, "  reused tokens by tier: %s%n", String.join(" ", byTier));
    DemoTable.ttftSummary(t.hitColdNanos, t.hitWarmNanos, t.hitRequests, t.requests).forEach(out::println);
    out.printf(Locale.ROOT, "  warm logits equal cold ones: max |difference| %.2e (tolerance %.0e)%n", t.maxDiff, TOLERANCE);
    for (LayerStats s : engine.stats().tiers()) {
      out.printf(Locale.ROOT, "  tier %-8s %10s used of %s, %d artifacts%n", s.tier(), mib(s.usedBytes()), mib(s.capacityBytes()), s.artifacts());
    }
    out.println("  (artifacts: KV chunks and parameter chunks)");
    out.printf(Locale.ROOT, "  offload throughput: prefetch %d %.2fx resident, no prefetch %.2fx resident%n", o.depth(),
        o.prefetched() / o.resident(), o.unprefetched() / o.resident());
    if (o.prefetched() < o.unprefetched()) {
      out.println("  (prefetch was slower than no prefetch in this run)");
    }
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
