package io.stratacache.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.CodecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LlamaModelTest {
  private static final long SEED = Long.getLong("tests.seed", 20250101L);
  private static final String REPRO = " (reproduce with -Dtests.seed=" + SEED + ")";

  @TempDir static Path root;
  static Path llama;
  static Path qwen;

  @BeforeAll
  static void generate() {
    llama = root.resolve("llama");
    qwen = root.resolve("qwen");
    CheckpointGenerator.write(llama, ReferenceModel.tinyConfig(false), SEED);
    CheckpointGenerator.write(qwen, ReferenceModel.tinyConfig(true), SEED);
  }

  private static int[] randomTokens(int n, long salt) {
    SplittableRandom r = new SplittableRandom(SEED + salt);
    int[] t = new int[n];
    t[0] = ByteTokenizer.BOS;
    for (int i = 1; i < n; i++) {
      t[i] = r.nextInt(256);
    }
    return t;
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama", "qwen"})
  void forward_matchesTheScalarReference(String which) {
    Path dir = which.equals("llama") ? llama : qwen;
    int[] tokens = randomTokens(37, 1);
    double[][] expected;
    try (Checkpoint ck = Checkpoint.open(dir)) {
      expected = new ReferenceModel(ck).forward(tokens);
    }
    try (ResidentWeights w = ResidentWeights.load(dir);
        PagedKvCache cache = new PagedKvCache(w.config(), 16, 4);
        KvSequence seq = cache.newSequence()) {
      Logits got = new LlamaModel(w, 8).forward(seq, tokens, true);
      assertEquals(tokens.length, seq.length());
      for (int t = 0; t < tokens.length; t++) {
        float[] row = got.row(t);
        for (int v = 0; v < row.length; v++) {
          assertEquals(expected[t][v], row[v], 1e-3, which + " position " + t + " token " + v + REPRO);
        }
      }
    }
  }

  @Test
  void incrementalDecode_equalsFullSequenceForward() {
    int[] tokens = randomTokens(50, 2);
    try (ResidentWeights w = ResidentWeights.load(llama); PagedKvCache cache = new PagedKvCache(w.config(), 64, 4)) {
      LlamaModel model = new LlamaModel(w, 16);
      Logits full;
      try (KvSequence seq = cache.newSequence()) {
        full = model.forward(seq, tokens, true);
      }
      // Interleave two sequences so their blocks are not contiguous in the pages.
      try (KvSequence a = cache.newSequence(); KvSequence other = cache.newSequence()) {
        Logits prefill = model.forward(a, Arrays.copyOf(tokens, 21), true);
        float max = 0;
        for (int t = 0; t < 21; t++) {
          max = Math.max(max, prefill.maxAbsDiff(t, full, t));
        }
        for (int t = 21; t < tokens.length; t++) {
          model.forward(other, new int[] {tokens[t]}, false);
          Logits step = model.forward(a, new int[] {tokens[t]}, false);
          assertEquals(1, step.rows());
          max = Math.max(max, step.maxAbsDiff(0, full, t));
          assertEquals(full.argmax(t), step.argmax(0), "position " + t + REPRO);
        }
        assertTrue(max <= 1e-4f, "max |incremental - full| = " + max + REPRO);
        assertEquals(tokens.length, a.length());
        assertFalse(Arrays.equals(a.blockTable(), new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
      }
    }
  }

  @Test
  void forward_isDeterministicAcrossLoads() {
    int[] tokens = randomTokens(40, 3);
    float[] first = null;
    for (int run = 0; run < 2; run++) {
      try (ResidentWeights w = ResidentWeights.load(llama);
          PagedKvCache cache = new PagedKvCache(w.config(), 16, 4);
          KvSequence seq = cache.newSequence()) {
        float[] logits = new LlamaModel(w).forward(seq, tokens, false).last();
        if (first == null) {
          first = logits;
        } else {
          assertArrayEquals(first, logits, REPRO);
        }
      }
    }
  }

  @Test
  void generator_isDeterministicPerSeed() throws IOException {
    Path again = root.resolve("again");
    Path other = root.resolve("other");
    CheckpointGenerator.write(again, ReferenceModel.tinyConfig(false), SEED);
    CheckpointGenerator.write(other, ReferenceModel.tinyConfig(false), SEED + 1);
    byte[] a = Files.readAllBytes(llama.resolve(Checkpoint.WEIGHTS_FILE));
    assertArrayEquals(a, Files.readAllBytes(again.resolve(Checkpoint.WEIGHTS_FILE)));
    assertFalse(Arrays.equals(a, Files.readAllBytes(other.resolve(Checkpoint.WEIGHTS_FILE))));
  }

  @Test
  void load_refusesATensorOfTheWrongShape() throws IOException {
    Path bad = root.resolve("bad");
    CheckpointGenerator.write(bad, ReferenceModel.tinyConfig(false), SEED);
    // Same weights, but the config claims a wider MLP.
    String json = Files.readString(bad.resolve(ModelConfig.FILE_NAME)).replace("\"intermediate_size\" : 128", "\"intermediate_size\" : 130");
    Files.writeString(bad.resolve(ModelConfig.FILE_NAME), json);
    CodecException e = assertThrows(CodecException.class, () -> ResidentWeights.load(bad).close());
    assertTrue(e.getMessage().contains("mlp.gate_proj.weight has shape [128, 64] (expected: [130, 64]"), e.getMessage());
  }

  @Test
  void forward_refusesTokensOutsideTheVocabulary() {
    try (ResidentWeights w = ResidentWeights.load(llama);
        PagedKvCache cache = new PagedKvCache(w.config(), 4, 4);
        KvSequence seq = cache.newSequence()) {
      LlamaModel model = new LlamaModel(w);
      assertThrows(IllegalArgumentException.class, () -> model.forward(seq, new int[] {1, 258}, false));
      assertThrows(IllegalArgumentException.class, () -> model.forward(seq, new int[0], false));
      assertEquals(0, seq.length());
    }
  }
}
