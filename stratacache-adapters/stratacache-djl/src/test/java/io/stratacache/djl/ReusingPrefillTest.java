package io.stratacache.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.kv.KvConfig;
import io.stratacache.config.LinkMode;
import io.stratacache.engine.StorageEngine;
import io.stratacache.kv.KvPrefixCache;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReusingPrefillTest {
  private static final long SEED = Long.getLong("tests.seed", 1234L);
  private static final String REPRO = " (reproduce with -Dtests.seed=" + SEED + ")";

  @TempDir static Path dir;
  static ResidentWeights weights;
  static LlamaModel model;

  @BeforeAll
  static void load() {
    CheckpointGenerator.write(dir, ReferenceModel.tinyConfig(false), SEED);
    weights = ResidentWeights.load(dir);
    model = new LlamaModel(weights, 32);
  }

  @AfterAll
  static void close() {
    weights.close();
  }

  private static int[] prompt(int[] prefix, int extra, long salt) {
    SplittableRandom r = new SplittableRandom(SEED + salt);
    int[] t = Arrays.copyOf(prefix, prefix.length + extra);
    for (int i = prefix.length; i < t.length; i++) {
      t[i] = r.nextInt(256);
    }
    return t;
  }

  private static StorageEngine engine() {
    return StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", "1MiB"))
        .tier("warm", "cpu", Map.of("capacity", "16MiB"))
        .link("hot", "warm", LinkMode.WRITE_THROUGH)
        .build();
  }

  @Test
  void warmPrefill_matchesColdLogitsAndComputesOnlyTheRest() {
    try (StorageEngine engine = engine(); PagedKvCache cache = new PagedKvCache(model.config(), 128, 16);
        KvPrefixCache kv = KvPrefixCache.builder(engine).model("tiny").layout(ReusingPrefill.layoutOf(cache))
            .layers(model.config().numLayers()).config(KvConfig.builder().chunkSize(16).savePartialChunks(false).build()).build()) {
      ReusingPrefill prefill = new ReusingPrefill(model, cache, kv);
      int[] shared = prompt(new int[] {ByteTokenizer.BOS}, 95, 1);   // 96 tokens: 6 chunks
      int[] first = prompt(shared, 21, 2);
      int[] second = prompt(shared, 30, 3);

      ReusingPrefill.Result a;
      try (KvSequence seq = cache.newSequence()) {
        a = prefill.prefill(seq, first);
      }
      assertEquals(0, a.reusedTokens());
      assertEquals(7, a.stored().storedChunks(), "117 tokens: 7 whole chunks of 16, the partial one not saved");

      ReusingPrefill.Result cold;
      ReusingPrefill.Result warm;
      try (KvSequence c = cache.newSequence(); KvSequence w = cache.newSequence()) {
        cold = prefill.coldPrefill(c, second);
        warm = prefill.prefill(w, second);
        assertEquals(second.length, w.length());
      }
      assertNull(cold.lookup());
      assertEquals(96, warm.lookup().hitTokens());
      assertEquals(96, warm.reusedTokens(), "the shared 96-token prefix came from the plane");
      assertEquals(96, warm.lookup().tokens("hot") + warm.lookup().tokens("warm"));
      float diff = warm.logits().maxAbsDiff(0, cold.logits(), 0);
      assertTrue(diff <= 1e-4f, "max |warm - cold| = " + diff + REPRO);
      assertEquals(cold.logits().argmax(0), warm.logits().argmax(0));
    }
  }

  @Test
  void fullyCachedPrompt_stillComputesItsLastToken() {
    try (StorageEngine engine = engine(); PagedKvCache cache = new PagedKvCache(model.config(), 64, 16);
        KvPrefixCache kv = KvPrefixCache.builder(engine).model("tiny").layout(ReusingPrefill.layoutOf(cache))
            .layers(model.config().numLayers()).config(KvConfig.builder().chunkSize(16).build()).build()) {
      ReusingPrefill prefill = new ReusingPrefill(model, cache, kv);
      int[] tokens = prompt(new int[] {ByteTokenizer.BOS}, 47, 4);
      ReusingPrefill.Result cold;
      try (KvSequence seq = cache.newSequence()) {
        cold = prefill.prefill(seq, tokens);
      }
      try (KvSequence seq = cache.newSequence()) {
        ReusingPrefill.Result warm = prefill.prefill(seq, tokens);
        assertEquals(48, warm.lookup().hitTokens());
        assertEquals(47, warm.reusedTokens());
        assertTrue(warm.logits().maxAbsDiff(0, cold.logits(), 0) <= 1e-4f, REPRO);
        // Decoding on from the reused prefix matches decoding on from the computed one.
        Logits next = model.forward(seq, new int[] {'x'}, false);
        try (KvSequence ref = cache.newSequence()) {
          model.forward(ref, tokens, false);
          assertTrue(next.maxAbsDiff(0, model.forward(ref, new int[] {'x'}, false), 0) <= 1e-4f, REPRO);
        }
      }
      try (KvSequence used = cache.newSequence()) {
        used.reserve(1);
        used.setLength(1);
        assertThrows(IllegalArgumentException.class, () -> prefill.prefill(used, tokens));
      }
    }
  }
}
