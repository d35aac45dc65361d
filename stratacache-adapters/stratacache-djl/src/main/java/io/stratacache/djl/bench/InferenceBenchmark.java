package io.stratacache.djl.bench;

import io.stratacache.kv.KvConfig;
import io.stratacache.djl.ByteTokenizer;
import io.stratacache.djl.Checkpoint;
import io.stratacache.djl.CheckpointGenerator;
import io.stratacache.djl.DjlRuntime;
import io.stratacache.djl.ForwardThroughput;
import io.stratacache.djl.KvSequence;
import io.stratacache.djl.LlamaModel;
import io.stratacache.djl.ModelConfig;
import io.stratacache.djl.OffloadedWeights;
import io.stratacache.djl.PagedKvCache;
import io.stratacache.djl.ResidentWeights;
import io.stratacache.djl.ReusingPrefill;
import io.stratacache.core.tensor.DType;
import io.stratacache.engine.StorageEngine;
import io.stratacache.kv.KvPrefixCache;
import io.stratacache.params.ParamClient;
import io.stratacache.params.ParamTensor;
import io.stratacache.params.Prefetcher;
import io.stratacache.params.StagingPool;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * End-to-end inference benchmarks, each reported as a ratio against its baseline measured in the
 * same run, round by round (rounds interleave the variants, so drift hits all alike), with the
 * median and the spread over rounds:
 *
 * <ul>
 *   <li>{@link #ttft()}: time to first token of a 4,096-token prompt whose first 15/16 (3,840
 *       tokens, 15 chunks of 256) is cached in the CPU tier, against the same prompt cold.
 *       Target: at most 0.15x. Warm logits are checked against cold ones (1e-4).
 *   <li>{@link #offload()}: prompt tokens per second with layers streamed from the CPU tier
 *       through a staging pool of three layers with prefetch depth 2, and with no prefetch,
 *       against the fully resident model. Targets: with prefetch at least 0.95x resident, and at
 *       least 1.0x no prefetch in every round.
 * </ul>
 *
 * The model is generated (Llama-shaped, 4 layers, hidden 512, 8 query / 2 KV heads of 64,
 * intermediate 1,376, float32): large enough that compute, not bookkeeping, dominates. The
 * engine is a single tier of provider {@code cpu}, which the class path must provide ({@code
 * stratacache-backend-cpu}; the command line and the benchmarks module have it).
 *
 * <p>{@code ./stratacache bench} runs this harness; it lives beside the model so that the command
 * line needs no benchmark framework on its class path.
 */
public final class InferenceBenchmark {
  static final ModelConfig MODEL =
      new ModelConfig("llama", 512, 1376, 4, 8, 2, 64, 1e-5, 10000.0, ByteTokenizer.VOCAB_SIZE, false, false, DType.F32);
  private static final long SEED = 7;

  private final PrintStream out;
  private final int rounds;

  /** A benchmark printing to {@code out}, measuring {@code rounds} rounds after one warm-up round. */
  public InferenceBenchmark(PrintStream out, int rounds) {
    this.out = out;
    if (rounds <= 0) {
      throw new IllegalArgumentException("rounds: " + rounds + " (expected: > 0)");
    }
    this.rounds = rounds;
  }

  /** Runs both benchmarks with 5 rounds. */
  public static void main(String[] args) {
    InferenceBenchmark b = new InferenceBenchmark(System.out, args.length > 0 ? Integer.parseInt(args[0]) : 5);
    b.ttft();
    b.offload();
  }

  private interface CheckpointTask<T> {
    T run(Checkpoint checkpoint);
  }

  private static <T> T withCheckpoint(CheckpointTask<T> task) {
    DjlRuntime.offline();
    Path dir;
    try {
      dir = Files.createTempDirectory("stratacache-bench-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      CheckpointGenerator.write(dir, MODEL, SEED);
      try (Checkpoint c = Checkpoint.open(dir)) {
        return task.run(c);
      }
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // a temporary directory left behind is harmless
      }
    }
  }

  /** Time to first token, 15/16 cached against cold; returns the median ratio. */
  public double ttft() {
    return withCheckpoint(checkpoint -> {
      int prompt = 4096;
      int cached = prompt / 16 * 15;
      SplittableRandom random = new SplittableRandom(SEED);
      int[] prefix = new int[cached];
      prefix[0] = ByteTokenizer.BOS;
      for (int i = 1; i < cached; i++) {
        prefix[i] = random.nextInt(256);
      }
      double[] ratios = new double[rounds];
      double[] cold = new double[rounds];
      double[] warm = new double[rounds];
      float maxDiff = 0;
      try (ResidentWeights weights = ResidentWeights.load(checkpoint);
          StorageEngine engine = StorageEngine.builder().tier("cpu", "cpu", Map.of("capacity", "1GiB")).build();
          PagedKvCache cache = new PagedKvCache(MODEL, 2 * prompt / 16 + 8, 16);
          KvPrefixCache kv = KvPrefixCache.builder(engine).model("bench").layout(ReusingPrefill.layoutOf(cache))
              .layers(MODEL.numLayers()).config(KvConfig.builder().chunkSize(256).savePartialChunks(false).build()).build()) {
        ReusingPrefill prefill = new ReusingPrefill(new LlamaModel(weights, 512), cache, kv);
        try (KvSequence seq = cache.newSequence()) {
          prefill.prefill(seq, prefix); // stores the 15 shared chunks
        }
        out.printf(Locale.ROOT, "TTFT, %d-token prompt, first %d tokens cached in the CPU tier (%d rounds after a warm-up)%n", prompt, cached, rounds);
        for (int r = -1; r < rounds; r++) {
          int[] tokens = Arrays.copyOf(prefix, prompt);
          for (int i = cached; i < prompt; i++) {
            tokens[i] = random.nextInt(256); // a new question each round: its chunk is not cached
          }
          ReusingPrefill.Result c;
          ReusingPrefill.Result w;
          try (KvSequence s = cache.newSequence()) {
            c = prefill.coldPrefill(s, tokens);
          }
          try (KvSequence s = cache.newSequence()) {
            w = prefill.prefill(s, tokens);
          }
          if (w.reusedTokens() != cached) {
            throw new IllegalStateException("warm run reused " + w.reusedTokens() + " tokens (expected: " + cached + ")");
          }
          float diff = w.logits().maxAbsDiff(0, c.logits(), 0);
          if (!(diff <= 1e-4f)) {
            throw new IllegalStateException("warm logits differ from cold by " + diff + " (expected: <= 1e-4)");
          }
          if (r >= 0) {
            maxDiff = Math.max(maxDiff, diff);
            cold[r] = c.ttftNanos() / 1e6;
            warm[r] = w.ttftNanos() / 1e6;
            ratios[r] = warm[r] / cold[r];
          }
        }
      }
      out.printf(Locale.ROOT, "  cold  %s ms%n  warm  %s ms%n", spread(cold), spread(warm));
      out.printf(Locale.ROOT, "  warm/cold %s   (target <= 0.15)   max |warm - cold logits| %.1e%n%n", spread(ratios), maxDiff);
      return median(ratios);
    });
  }

  /** Offloaded forward throughput against resident; returns the median ratio with prefetch. */
  public double offload() {
    return withCheckpoint(checkpoint -> {
      int depth = 2;
      int[] tokens = new int[256];
      SplittableRandom random = new SplittableRandom(SEED + 1);
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = random.nextInt(256);
      }
      int passes = 3;
      double[] resident = new double[rounds];
      double[] prefetched = new double[rounds];
      double[] unprefetched = new double[rounds];
      double[] ratio = new double[rounds];
      double[] ratio0 = new double[rounds];
      double[] gain = new double[rounds];
      double[] control = new double[rounds];
      io.stratacache.params.PrefetchStats stats;
      long tensorsLoaded;
      try (ResidentWeights weights = ResidentWeights.load(checkpoint);
          StorageEngine engine = StorageEngine.builder().tier("cpu", "cpu", Map.of("capacity", "512MiB")).build();
          PagedKvCache cache = new PagedKvCache(MODEL, tokens.length / 16 + 1, 16)) {
        ParamClient client = new ParamClient(engine);
        List<List<ParamTensor>> plan = OffloadedWeights.upload(checkpoint, client, "bench", "r" + SEED, 1 << 20);
        long layerBytes = Prefetcher.groupBytes(plan.getFirst());
        out.printf(Locale.ROOT, "Offloaded forward, %d-token prompts, %d layers of %.1f MiB in the CPU tier, staging %d layers (%d rounds of %d passes)%n",
            tokens.length, MODEL.numLayers(), layerBytes / 1048576.0, depth + 1, rounds, passes);
        LlamaModel residentModel = new LlamaModel(weights);
        try (StagingPool pool2 = new StagingPool((depth + 1) * layerBytes);
            Prefetcher p2 = new Prefetcher(client, pool2, depth);
            OffloadedWeights w2 = new OffloadedWeights(checkpoint, p2, plan);
            StagingPool pool0 = new StagingPool((depth + 1) * layerBytes);
            Prefetcher p0 = new Prefetcher(client, pool0, 0);
            OffloadedWeights w0 = new OffloadedWeights(checkpoint, p0, plan)) {
          LlamaModel m2 = new LlamaModel(w2);
          LlamaModel m0 = new LlamaModel(w0);
          // The resident model twice: the ratio of the two is this machine's noise, measured alike.
          LlamaModel[] models = {residentModel, m2, m0, residentModel};
          for (int r = -1; r < rounds; r++) {
            // Passes alternate between the variants, so load from elsewhere slows them alike.
            double[] seconds = new double[models.length];
            for (int p = 0; p < passes; p++) {
              for (int v = 0; v < models.length; v++) {
                seconds[v] += tokens.length / ForwardThroughput.tokensPerSecond(models[v], cache, tokens, 1);
              }
            }
            if (r >= 0) {
              resident[r] = tokens.length * passes / seconds[0];
              prefetched[r] = tokens.length * passes / seconds[1];
              unprefetched[r] = tokens.length * passes / seconds[2];
              ratio[r] = seconds[0] / seconds[1];
              ratio0[r] = seconds[0] / seconds[2];
              gain[r] = seconds[2] / seconds[1];
              control[r] = seconds[0] / seconds[3];
            }
          }
          stats = p2.stats();
          tensorsLoaded = stats.groupsLoaded() * plan.getFirst().size();
        }
      }
      out.printf(Locale.ROOT, "  resident            %s tokens/s%n", spread(resident));
      out.printf(Locale.ROOT, "  prefetch depth %d    %s tokens/s%n", depth, spread(prefetched));
      out.printf(Locale.ROOT, "  no prefetch         %s tokens/s%n", spread(unprefetched));
      out.printf(Locale.ROOT, "  prefetch %d / resident %s   (target >= 0.95)%n", depth, spread(ratio));
      out.printf(Locale.ROOT, "  no prefetch / resident %s%n", spread(ratio0));
      out.printf(Locale.ROOT, "  resident / resident  %s   (the same model twice: the noise of this machine)%n", spread(control));
      long slower = Arrays.stream(gain).filter(g -> g < 1.0).count();
      out.printf(Locale.ROOT, "  prefetch %d / no prefetch %s   (target >= 1.0 in every round: %d of %d rounds below)%n", depth, spread(gain),
          slower, rounds);
      out.printf(Locale.ROOT, "  prefetch %d: %d of %d tensors copied by the computing thread (the loader had not reached them), %.1f ms waited in all%n%n",
          depth, stats.tensorsByCaller(), tensorsLoaded, stats.waitNanos() / 1e6);
      return median(ratio);
    });
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** "median (min .. max)". */
  static String spread(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    String f = s[s.length - 1] >= 100 ? "%.0f" : "%.3f";
    return String.format(Locale.ROOT, f + " (" + f + " .. " + f + ")", median(v), s[0], s[s.length - 1]);
  }
}
