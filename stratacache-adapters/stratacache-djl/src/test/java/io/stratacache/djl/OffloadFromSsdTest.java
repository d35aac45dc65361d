package io.stratacache.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.core.tensor.DType;
import io.stratacache.engine.StorageEngine;
import io.stratacache.params.ParamClient;
import io.stratacache.params.ParamTensor;
import io.stratacache.params.Prefetcher;
import io.stratacache.params.StagingPool;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A model whose layer weights are several times the CPU tier: its layers stream from the SSD tier
 * below through the prefetcher, and the outputs are the resident model's.
 */
class OffloadFromSsdTest {
  private static final long SEED = Long.getLong("tests.seed", 5L);
  private static final String REPRO = " (reproduce with -Dtests.seed=" + SEED + ")";
  private static final ModelConfig CONFIG =
      new ModelConfig("llama", 64, 256, 8, 4, 2, 16, 1e-5, 10000.0, ByteTokenizer.VOCAB_SIZE, false, false, DType.F32);
  private static final long CHUNK = 32 * 1024;

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(ints = {0, 2})
  void modelLargerThanTheCpuTier_streamsFromSsd_withTheResidentOutputs(int depth) {
    Path model = dir.resolve("model");
    CheckpointGenerator.write(model, CONFIG, SEED);
    SplittableRandom r = new SplittableRandom(SEED);
    int[] tokens = new int[33];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = r.nextInt(CONFIG.vocabSize());
    }
    try (Checkpoint checkpoint = Checkpoint.open(model)) {
      Logits expected;
      try (ResidentWeights w = ResidentWeights.load(checkpoint);
          PagedKvCache cache = new PagedKvCache(CONFIG, 16, 4);
          KvSequence seq = cache.newSequence()) {
        expected = new LlamaModel(w, 16).forward(seq, tokens, true);
      }
      long cpuCapacity = 512 * 1024;
      try (StorageEngine engine = StorageEngine.builder()
          .tier("hot", "cpu", Map.of("capacity", cpuCapacity))
          .tier("disk", "ssd", Map.of("path", dir.resolve("ssd").toString(), "capacity", "64MiB", "fsync", "never"))
          .link("hot", "disk", LinkMode.WRITE_THROUGH)
          .build()) {
        ParamClient client = new ParamClient(engine);
        List<List<ParamTensor>> plan = OffloadedWeights.upload(checkpoint, client, "big", "r" + SEED, CHUNK);
        long layerBytes = Prefetcher.groupBytes(plan.getFirst());
        long modelBytes = layerBytes * CONFIG.numLayers();
        assertTrue(modelBytes > 3 * cpuCapacity, "layer weights " + modelBytes + " B exceed the CPU tier's " + cpuCapacity + " B");
        long diskHitsBefore = engine.stats().tier("disk").hits();
        try (StagingPool pool = new StagingPool((depth + 1) * layerBytes);
            Prefetcher prefetcher = new Prefetcher(client, pool, depth);
            OffloadedWeights w = new OffloadedWeights(checkpoint, prefetcher, plan);
            PagedKvCache cache = new PagedKvCache(CONFIG, 16, 4)) {
          LlamaModel offloaded = new LlamaModel(w, 16);
          for (int pass = 0; pass < 2; pass++) {
            try (KvSequence seq = cache.newSequence()) {
              Logits got = offloaded.forward(seq, tokens, true);
              float max = 0;
              for (int t = 0; t < tokens.length; t++) {
                max = Math.max(max, got.maxAbsDiff(t, expected, t));
              }
              assertTrue(max <= 1e-4f, "pass " + pass + ": max |offloaded - resident| = " + max + REPRO);
            }
          }
          assertEquals(2L * CONFIG.numLayers(), prefetcher.stats().groupsLoaded());
        }
        long diskHits = engine.stats().tier("disk").hits() - diskHitsBefore;
        long chunksPerPass = plan.stream().mapToLong(g -> g.stream().mapToLong(t -> t.chunks().size()).sum()).sum();
        assertTrue(diskHits >= chunksPerPass, "every pass reads most layers from the SSD tier: " + diskHits + " SSD hits for "
            + chunksPerPass + " chunks a pass");
        assertTrue(engine.stats().tier("hot").usedBytes() <= cpuCapacity);
      }
    }
  }

  @org.junit.jupiter.api.Test
  void beyondCpuTier_reportsStreamedThroughput_withTheResidentOutputs() {
    Path model = dir.resolve("model");
    ModelConfig big = new ModelConfig("llama", 128, 512, 4, 4, 2, 32, 1e-5, 10000.0, ByteTokenizer.VOCAB_SIZE, false, false, DType.F32);
    CheckpointGenerator.write(model, big, SEED);
    int[] prompt = new int[40];
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = (i * 37 + 11) % big.vocabSize();
    }
    try (Checkpoint checkpoint = Checkpoint.open(model); ResidentWeights w = ResidentWeights.load(checkpoint)) {
      LlamaModel resident = new LlamaModel(w);
      io.stratacache.djl.bench.BeyondCpuTier.Result r =
          io.stratacache.djl.bench.BeyondCpuTier.run(checkpoint, resident, dir.resolve("ssd"), prompt, 2, 2);
      assertTrue(r.maxAbsDiff() <= 1e-4f, "max |streamed - resident| = " + r.maxAbsDiff() + REPRO);
      assertTrue(r.cpuTierBytes() * 3 <= r.layerWeightBytes(), r.toString());
      assertTrue(r.ssdChunkReads() > 0 && r.streamedTokensPerSecond() > 0 && r.residentTokensPerSecond() > 0, r.toString());
      IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> io.stratacache.djl.bench.BeyondCpuTier.run(checkpoint, resident, dir.resolve("ssd2"), new int[0], 1, 2));
      assertEquals("prompt: no tokens (expected: at least one)", e.getMessage());
    }
  }
}
