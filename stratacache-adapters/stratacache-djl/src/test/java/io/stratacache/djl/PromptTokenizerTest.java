package io.stratacache.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTokenizerTest {
  private static final long SEED = Long.getLong("tests.seed", 20250315L);

  @TempDir Path root;

  private Path withTokenizer(String name) throws IOException {
    Path dir = root.resolve(name);
    Files.createDirectories(dir);
    CheckpointGenerator.writeByteLevelTokenizer(dir, List.of("t h", "th e", "\u0120 the")); // ids 258, 259, 260
    return dir;
  }

  @Test
  void tokenizerJson_encodesWithItsMergesAndSpecialTokens_andDecodesBack() throws IOException {
    Path dir = withTokenizer("bpe");
    ModelConfig config = new ModelConfig("llama", 64, 128, 1, 4, 2, 16, 1e-5, 10000.0, 261, false, false,
        CheckpointGenerator.tinyLlama().torchDtype());
    try (PromptTokenizer t = PromptTokenizer.forCheckpoint(dir, config)) {
      assertInstanceOf(HuggingFaceTextTokenizer.class, t);
      assertArrayEquals(new int[] {256, 259, 260, 'm', 'e'}, t.encode("the theme"));
      assertEquals("the theme", t.decode(t.encode("the theme")));
      String text = "héllo ✓ 42, naïve";
      assertArrayEquals(ByteTokenizer.encode(text, true), t.encode(text), "no merge applies: the ids are the UTF-8 bytes");
      assertEquals(text, t.decode(t.encode(text)));
      String longText = "ab ".repeat(400);
      assertEquals(1 + longText.length(), t.encode(longText).length, "a long prompt is not truncated");
    }
  }

  @Test
  void forCheckpoint_withoutTokenizerJson_usesTheByteTokenizerWhenTheVocabularyFits() {
    ModelConfig tiny = CheckpointGenerator.tinyLlama();
    try (PromptTokenizer t = PromptTokenizer.forCheckpoint(root, tiny)) {
      assertArrayEquals(ByteTokenizer.encode("hi", true), t.encode("hi"));
    }
    ModelConfig small = new ModelConfig("llama", 64, 128, 1, 4, 2, 16, 1e-5, 10000.0, 200, false, false, tiny.torchDtype());
    ConfigException e = assertThrows(ConfigException.class, () -> PromptTokenizer.forCheckpoint(root, small));
    assertTrue(e.getMessage().contains("no tokenizer.json, and vocab_size 200 is too small for the byte tokenizer"), e.getMessage());
  }

  @Test
  void tokenizerWithIdsBeyondTheModel_andInvalidFiles_areRefused() throws IOException {
    Path dir = withTokenizer("mismatch");
    ModelConfig small = new ModelConfig("llama", 64, 128, 1, 4, 2, 16, 1e-5, 10000.0, 259, false, false,
        CheckpointGenerator.tinyLlama().torchDtype());
    try (PromptTokenizer t = PromptTokenizer.forCheckpoint(dir, small)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.encode("the the"));
      assertTrue(e.getMessage().contains("token id 259 at 1 (expected: 0 to 258"), e.getMessage());
    }
    Files.writeString(dir.resolve(PromptTokenizer.FILE_NAME), "{\"model\": 3}");
    ConfigException bad = assertThrows(ConfigException.class, () -> PromptTokenizer.forCheckpoint(dir, small).close());
    assertTrue(bad.getMessage().contains("tokenizer.json: cannot load the tokenizer"), bad.getMessage());
  }

  @Test
  void modelOnATokenizedPrompt_matchesTheReference() throws IOException {
    String json = HuggingFaceCheckpointTest.llamaJson("\"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 2.0}")
        .replace("\"vocab_size\": 258", "\"vocab_size\": 261");
    Path dir = withTokenizer("model");
    CheckpointGenerator.write(dir, ModelConfig.parse(json), SEED);
    Files.writeString(dir.resolve(ModelConfig.FILE_NAME), json);
    int[] tokens;
    try (Checkpoint ck = Checkpoint.open(dir); PromptTokenizer t = PromptTokenizer.forCheckpoint(dir, ck.config())) {
      tokens = t.encode("Then the other theory: the theme of the thesis is that the rope scales. ".repeat(8));
    }
    assertTrue(tokens.length >= 384, tokens.length + " tokens");
    assertTrue(java.util.Arrays.stream(tokens).anyMatch(id -> id == 260), "merged ids occur");
    double[][] expected;
    try (Checkpoint ck = Checkpoint.open(dir)) {
      expected = new ReferenceModel(ck).forward(tokens);
    }
    try (ResidentWeights w = ResidentWeights.load(dir);
        PagedKvCache cache = new PagedKvCache(w.config(), (tokens.length + 15) / 16, 16);
        KvSequence seq = cache.newSequence()) {
      Logits got = new LlamaModel(w, 128).forward(seq, tokens, true);
      double max = 0;
      for (int p = 0; p < tokens.length; p++) {
        float[] row = got.row(p);
        for (int v = 0; v < row.length; v++) {
          max = Math.max(max, Math.abs(expected[p][v] - row[v]));
        }
      }
      assertTrue(max <= 1e-3, "max |model - reference| = " + max + " (reproduce with -Dtests.seed=" + SEED + ")");
    }
  }
}
