package io.stratacache.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.CodecException;
import io.stratacache.core.StrataCacheException;
import io.stratacache.core.tensor.SafetensorsShards;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checkpoints with what real Hugging Face checkpoints carry (rope scaling, biases, shards),
 * checked against {@link ReferenceModel} on a prompt long enough for scaled frequencies to matter.
 */
class HuggingFaceCheckpointTest {
  private static final long SEED = Long.getLong("tests.seed", 20250314L);
  private static final String REPRO = " (reproduce with -Dtests.seed=" + SEED + ")";
  private static final int PROMPT = 400;

  @TempDir Path root;

  /** A tiny llama config.json with the fields a real one carries, plus {@code extra}. */
  static String llamaJson(String extra) {
    return """
        {
          "architectures": ["LlamaForCausalLM"],
          "attention_dropout": 0.0,
          "bos_token_id": 256,
          "eos_token_id": [257, 257],
          "head_dim": 16,
          "hidden_act": "silu",
          "hidden_size": 64,
          "initializer_range": 0.02,
          "intermediate_size": 128,
          "model_type": "llama",
          "num_attention_heads": 4,
          "num_hidden_layers": 2,
          "num_key_value_heads": 2,
          "pretraining_tp": 1,
          "rms_norm_eps": 1e-05,
          "rope_theta": 10000.0,
          "tie_word_embeddings": false,
          "torch_dtype": "float32",
          "transformers_version": "4.45.0",
          "use_cache": true,
          "vocab_size": 258,
          %s
        }""".formatted(extra);
  }

  private Path checkpoint(String name, String json, int shards) throws IOException {
    Path dir = root.resolve(name);
    CheckpointGenerator.write(dir, ModelConfig.parse(json), SEED, shards);
    Files.writeString(dir.resolve(ModelConfig.FILE_NAME), json);
    return dir;
  }

  private static int[] prompt() {
    SplittableRandom r = new SplittableRandom(SEED);
    int[] t = new int[PROMPT];
    t[0] = ByteTokenizer.BOS;
    for (int i = 1; i < t.length; i++) {
      t[i] = r.nextInt(256);
    }
    return t;
  }

  private static Logits run(Path dir, int[] tokens) {
    try (ResidentWeights w = ResidentWeights.load(dir);
        PagedKvCache cache = new PagedKvCache(w.config(), (tokens.length + 15) / 16, 16);
        KvSequence seq = cache.newSequence()) {
      return new LlamaModel(w, 128).forward(seq, tokens, true);
    }
  }

  /** Max |model - reference| over every position and token; also checks the reference differs from {@code other}. */
  private static void assertMatchesReference(Path dir, String what, boolean scaledMatters) {
    int[] tokens = prompt();
    double[][] expected;
    double[][] unscaled;
    try (Checkpoint ck = Checkpoint.open(dir)) {
      expected = new ReferenceModel(ck).forward(tokens);
      unscaled = scaledMatters ? new ReferenceModel(ck, false).forward(tokens) : null;
    }
    Logits got = run(dir, tokens);
    double max = 0;
    double effect = 0;
    for (int t = 0; t < tokens.length; t++) {
      float[] row = got.row(t);
      for (int v = 0; v < row.length; v++) {
        max = Math.max(max, Math.abs(expected[t][v] - row[v]));
        if (unscaled != null) {
          effect = Math.max(effect, Math.abs(expected[t][v] - unscaled[t][v]));
        }
      }
    }
    assertTrue(max <= 1e-3, what + ": max |model - reference| = " + max + REPRO);
    if (scaledMatters) {
      assertTrue(effect > 0.05, what + ": scaling changes the reference logits by only " + effect + REPRO);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "\"rope_scaling\": null",
      "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 4.0}",
      "\"max_position_embeddings\": 128, \"rope_scaling\": {\"rope_type\": \"dynamic\", \"factor\": 2.0}",
      "\"max_position_embeddings\": 512, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0,"
          + " \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}",
      "\"max_position_embeddings\": 512, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0,"
          + " \"original_max_position_embeddings\": 128}",
      "\"max_position_embeddings\": 256, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 2.0, \"beta_fast\": 16,"
          + " \"beta_slow\": 2, \"mscale\": 1.0, \"mscale_all_dim\": 0.5, \"truncate\": false}"})
  void ropeScaling_matchesHuggingFaceFormulas(String rope) throws IOException {
    Path dir = checkpoint("rope", llamaJson(rope), 1);
    assertMatchesReference(dir, rope, !rope.contains("null"));
  }

  @Test
  void dynamicScaling_decodedTokenByToken_rotatesEachCallWithItsOwnLength() throws IOException {
    Path dir = checkpoint("dynamic-steps",
        llamaJson("\"max_position_embeddings\": 128, \"rope_scaling\": {\"rope_type\": \"dynamic\", \"factor\": 2.0}"), 1);
    int[] tokens = prompt();
    int prefill = 300;
    int[] callEnd = new int[tokens.length];
    for (int t = 0; t < tokens.length; t++) {
      callEnd[t] = t < prefill ? prefill : t + 1;
    }
    double[][] expected;
    double[][] onePass;
    try (Checkpoint ck = Checkpoint.open(dir)) {
      ReferenceModel ref = new ReferenceModel(ck);
      expected = ref.forward(tokens, callEnd);
      onePass = ref.forward(tokens);
    }
    try (ResidentWeights w = ResidentWeights.load(dir);
        PagedKvCache cache = new PagedKvCache(w.config(), (tokens.length + 15) / 16, 16);
        KvSequence seq = cache.newSequence()) {
      LlamaModel model = new LlamaModel(w, 128);
      model.forward(seq, java.util.Arrays.copyOf(tokens, prefill), false);
      double max = 0;
      double pathEffect = 0;
      for (int t = prefill; t < tokens.length; t++) {
        float[] row = model.forward(seq, new int[] {tokens[t]}, false).row(0);
        for (int v = 0; v < row.length; v++) {
          max = Math.max(max, Math.abs(expected[t][v] - row[v]));
          pathEffect = Math.max(pathEffect, Math.abs(expected[t][v] - onePass[t][v]));
        }
      }
      assertTrue(max <= 1e-3, "max |model - reference| = " + max + REPRO);
      assertTrue(pathEffect > 0.05, "token-by-token differs from one pass by only " + pathEffect + REPRO);
    }
  }

  @Test
  void attentionAndMlpBiases_areLoadedAndApplied() throws IOException {
    Path dir = checkpoint("bias", llamaJson("\"attention_bias\": true, \"mlp_bias\": true, \"rope_scaling\": {\"rope_type\": "
        + "\"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}"), 1);
    try (Checkpoint ck = Checkpoint.open(dir)) {
      for (String b : new String[] {"self_attn.o_proj.bias", "mlp.gate_proj.bias", "mlp.up_proj.bias", "mlp.down_proj.bias"}) {
        assertTrue(ck.weights().contains("model.layers.1." + b), b);
      }
    }
    assertMatchesReference(dir, "attention_bias + mlp_bias", true);
    // The same weights with the biases dropped give other logits, so the biases are applied.
    Path plain = checkpoint("plain", llamaJson("\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0,"
        + " \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}"), 1);
    int[] tokens = prompt();
    Logits with = run(dir, tokens);
    Logits without = run(plain, tokens);
    float diff = 0;
    for (int t = 0; t < tokens.length; t++) {
      diff = Math.max(diff, with.maxAbsDiff(t, without, t));
    }
    assertTrue(diff > 0.05, "biases change the logits by only " + diff + REPRO);
  }

  @Test
  void checkpointWithTensorsTheModelWouldNotUse_isRefusedByName() throws IOException {
    Path dir = checkpoint("extra", llamaJson("\"attention_bias\": true, \"mlp_bias\": false"), 1);
    Files.writeString(dir.resolve(ModelConfig.FILE_NAME), llamaJson("\"attention_bias\": false"));
    CodecException e = assertThrows(CodecException.class, () -> Checkpoint.open(dir).close());
    assertTrue(e.getMessage().contains("would not use: ") && e.getMessage().contains("model.layers.0.self_attn.q_proj.bias"), e.getMessage());
    assertTrue(e.getMessage().contains("self_attn.o_proj.bias"), e.getMessage());

    Files.writeString(dir.resolve(ModelConfig.FILE_NAME), llamaJson("\"attention_bias\": true, \"mlp_bias\": true"));
    CodecException missing = assertThrows(CodecException.class, () -> Checkpoint.open(dir).close());
    assertTrue(missing.getMessage().contains("are missing: ") && missing.getMessage().contains("model.layers.0.mlp.gate_proj.bias"),
        missing.getMessage());
  }

  @Test
  void shardedCheckpoint_givesTheSameLogitsAsOneFile() throws IOException {
    String json = llamaJson("\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 128},"
        + " \"max_position_embeddings\": 512");
    Path single = checkpoint("single", json, 1);
    Path sharded = checkpoint("sharded", json, 3);
    assertTrue(Files.exists(sharded.resolve(SafetensorsShards.INDEX_FILE)));
    assertTrue(Files.exists(sharded.resolve("model-00003-of-00003.safetensors")));
    assertTrue(Files.notExists(sharded.resolve(Checkpoint.WEIGHTS_FILE)));
    try (Checkpoint ck = Checkpoint.open(sharded)) {
      assertEquals(3, ck.weights().files().size());
    }
    assertMatchesReference(sharded, "3 shards", false);
    int[] tokens = prompt();
    Logits a = run(single, tokens);
    Logits b = run(sharded, tokens);
    for (int t = 0; t < tokens.length; t += 97) {
      assertArrayEquals(a.row(t), b.row(t), "position " + t + REPRO);
    }
  }

  @Test
  void directoryWithoutWeights_saysWhatItLookedFor() throws IOException {
    Path dir = root.resolve("empty");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(ModelConfig.FILE_NAME), llamaJson("\"rope_scaling\": null"));
    StrataCacheException e = assertThrows(StrataCacheException.class, () -> Checkpoint.open(dir).close());
    assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("model.safetensors.index.json"), e.getMessage());
  }

  @Test
  void shardIndexNamingAMissingShard_isRefused() throws IOException {
    Path dir = checkpoint("broken", llamaJson("\"rope_scaling\": null"), 2);
    Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
    CodecException e = assertThrows(CodecException.class, () -> Checkpoint.open(dir).close());
    assertTrue(e.getMessage().contains("shard model-00002-of-00002.safetensors is missing"), e.getMessage());
  }
}
