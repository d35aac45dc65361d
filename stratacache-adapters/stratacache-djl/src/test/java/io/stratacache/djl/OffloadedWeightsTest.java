package io.stratacache.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.core.ArtifactNotFoundException;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OffloadedWeightsTest {
  private static final long SEED = Long.getLong("tests.seed", 99L);
  private static final String REPRO = " (reproduce with -Dtests.seed=" + SEED + ")";
  private static final ModelConfig CONFIG =
      new ModelConfig("qwen2", 64, 128, 6, 4, 2, 16, 1e-6, 1e6, ByteTokenizer.VOCAB_SIZE, false, true, DType.BF16);
  private static final long CHUNK = 16 * 1024;

  @TempDir static Path dir;
  static StorageEngine engine;
  static ParamClient client;
  static List<List<ParamTensor>> plan;
  static Checkpoint checkpoint;
  static int[] tokens;
  static Logits expected;

  @BeforeAll
  static void setUp() {
    CheckpointGenerator.write(dir, CONFIG, SEED);
    checkpoint = Checkpoint.open(dir);
    // The head tier holds under two layers; the rest spills to the lower tier.
    engine = StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", "256KiB"))
        .tier("warm", "cpu", Map.of("capacity", "8MiB"))
        .link("hot", "warm", LinkMode.WRITE_THROUGH)
        .build();
    client = new ParamClient(engine);
    plan = OffloadedWeights.upload(checkpoint, client, "tiny-qwen", "r" + SEED, CHUNK);
    SplittableRandom r = new SplittableRandom(SEED);
    tokens = new int[45];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = r.nextInt(CONFIG.vocabSize());
    }
    try (ResidentWeights w = ResidentWeights.load(checkpoint);
        PagedKvCache cache = new PagedKvCache(CONFIG, 16, 4);
        KvSequence seq = cache.newSequence()) {
      expected = new LlamaModel(w, 16).forward(seq, tokens, true);
    }
  }

  @AfterAll
  static void tearDown() {
    engine.close();
    checkpoint.close();
  }

  private static long layerBytes() {
    return Prefetcher.groupBytes(plan.getFirst());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2})
  void offloadedForward_equalsTheResidentModel(int depth) {
    assertEquals(OffloadedWeights.plan(CONFIG, "tiny-qwen", "r" + SEED, CHUNK), plan);
    long budget = (depth + 1) * layerBytes();
    try (StagingPool pool = new StagingPool(budget);
        Prefetcher prefetcher = new Prefetcher(client, pool, depth);
        OffloadedWeights w = new OffloadedWeights(checkpoint, prefetcher, plan);
        PagedKvCache cache = new PagedKvCache(CONFIG, 16, 4);
        KvSequence seq = cache.newSequence()) {
      LlamaModel model = new LlamaModel(w, 16);
      // Prefill in two chunks, then decode: every pass streams all six layers.
      Logits a = model.forward(seq, java.util.Arrays.copyOf(tokens, 20), true);
      Logits b = model.forward(seq, java.util.Arrays.copyOfRange(tokens, 20, 44), true);
      Logits c = model.forward(seq, new int[] {tokens[44]}, false);
      float max = 0;
      for (int t = 0; t < 20; t++) {
        max = Math.max(max, a.maxAbsDiff(t, expected, t));
      }
      for (int t = 20; t < 44; t++) {
        max = Math.max(max, b.maxAbsDiff(t - 20, expected, t));
      }
      max = Math.max(max, c.maxAbsDiff(0, expected, 44));
      assertTrue(max <= 1e-4f, "max |offloaded - resident| = " + max + REPRO);
      assertEquals(3L * CONFIG.numLayers(), prefetcher.stats().groupsLoaded());
      assertTrue(pool.peakUsed() <= budget && budget < CONFIG.numLayers() * layerBytes(),
          "at most " + (depth + 1) + " of " + CONFIG.numLayers() + " layers resident");
    }
    assertTrue(engine.stats().tier("warm").hits() > 0, "some layers were read from the lower tier");
  }

  @Test
  void missingChunk_failsTheForwardNamingIt() {
    ParamTensor victim = plan.get(4).get(2);
    try (StagingPool pool = new StagingPool(3 * layerBytes());
        Prefetcher prefetcher = new Prefetcher(client, pool, 2);
        OffloadedWeights w = new OffloadedWeights(checkpoint, prefetcher, plan);
        PagedKvCache cache = new PagedKvCache(CONFIG, 16, 4);
        KvSequence seq = cache.newSequence()) {
      ArtifactNotFoundException e;
      try (var lease = client.getChunk(victim.chunks().getFirst())) {
        byte[] saved = lease.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        client.deleteChunk(victim.chunks().getFirst());
        e = assertThrows(ArtifactNotFoundException.class, () -> new LlamaModel(w).forward(seq, new int[] {1, 2, 3}, false));
        assertEquals(victim.chunks().getFirst().id(), e.id());
        assertEquals(0, seq.length(), "a failed forward does not advance the sequence");
        client.putChunk(victim.chunks().getFirst(), new long[] {saved.length / 4}, java.lang.foreign.MemorySegment.ofArray(saved));
      }
      // After the chunk is back, the same weights compute again.
      Logits ok = new LlamaModel(w, 16).forward(seq, java.util.Arrays.copyOf(tokens, 5), true);
      assertTrue(ok.maxAbsDiff(4, expected, 4) <= 1e-4f, REPRO);
    }
  }
}
