package io.stratacache.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stratacache.core.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTokenizerTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final long SEED = Long.getLong("tests.seed", 20250315L);

  @TempDir Path root;

  /**
   * A byte-level BPE tokenizer.json in the Llama 3 / GPT-2 style whose byte tokens have the ids
   * of the bytes (0-255), with {@code <s>} (256) added before each sequence, {@code </s>} (257),
   * and three merges: th (258), the (259), Ġthe (260), i.e. " the".
   */
  static String byteLevelBpe() {
    List<Integer> bs = new ArrayList<>();
    for (int b = '!'; b <= '~'; b++) {
      bs.add(b);
    }
    for (int b = 0xA1; b <= 0xAC; b++) {
      bs.add(b);
    }
    for (int b = 0xAE; b <= 0xFF; b++) {
      bs.add(b);
    }
    String[] charOf = new String[256];
    for (int b : bs) {
      charOf[b] = Character.toString(b);
    }
    int n = 0;
    for (int b = 0; b < 256; b++) {
      if (charOf[b] == null) {
        charOf[b] = Character.toString(256 + n++);
      }
    }
    ObjectNode vocab = JSON.createObjectNode();
    for (int b = 0; b < 256; b++) {
      vocab.put(charOf[b], b);
    }
    String space = charOf[' '];
    vocab.put("<s>", 256).put("</s>", 257); // in the model's vocabulary too, so its ids run 0..260 without a gap
    vocab.put("th", 258).put("the", 259).put(space + "the", 260);
    ObjectNode t = JSON.createObjectNode();
    t.put("version", "1.0");
    t.putNull("truncation");
    t.putNull("padding");
    ArrayNode added = t.putArray("added_tokens");
    added.addObject().put("id", 256).put("content", "<s>").put("single_word", false).put("lstrip", false).put("rstrip", false)
        .put("normalized", false).put("special", true);
    added.addObject().put("id", 257).put("content", "</s>").put("single_word", false).put("lstrip", false).put("rstrip", false)
        .put("normalized", false).put("special", true);
    t.putNull("normalizer");
    t.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
    ObjectNode post = t.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    post.putArray("single").addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
    ((ArrayNode) post.get("single")).addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    post.putArray("pair").addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
    ((ArrayNode) post.get("pair")).addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    ((ArrayNode) post.get("pair")).addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
    ObjectNode special = post.putObject("special_tokens").putObject("<s>");
    special.put("id", "<s>");
    special.putArray("ids").add(256);
    special.putArray("tokens").add("<s>");
    t.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
    ObjectNode model = t.putObject("model");
    model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix").putNull("end_of_word_suffix")
        .put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
    model.set("vocab", vocab);
    model.putArray("merges").add("t h").add("th e").add(space + " the");
    return t.toPrettyString();
  }

  private Path withTokenizer(String name) throws IOException {
    Path dir = root.resolve(name);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(PromptTokenizer.FILE_NAME), byteLevelBpe());
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
