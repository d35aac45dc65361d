package io.stratacache.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ConfigException;
import io.stratacache.core.tensor.DType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
  @Test
  void toJson_parsesBackToAnEqualConfig() {
    ModelConfig c = CheckpointGenerator.tinyLlama();
    assertEquals(c, ModelConfig.parse(c.toJson()));
    ModelConfig q = new ModelConfig("qwen2", 64, 128, 2, 4, 2, 16, 1e-6, 1e6, 300, true, true, DType.BF16);
    assertEquals(q, ModelConfig.parse(q.toJson()));
  }

  @Test
  void parse_appliesHuggingFaceDefaults() {
    ModelConfig c = ModelConfig.parse("""
        {"model_type":"qwen2","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,
         "num_attention_heads":4,"vocab_size":300,"torch_dtype":"bfloat16"}""");
    assertEquals(4, c.numKvHeads());
    assertEquals(16, c.headDim());
    assertTrue(c.attentionBias(), "qwen2 has q/k/v biases");
    assertFalse(c.tieWordEmbeddings());
    assertEquals(DType.BF16, c.torchDtype());
    assertEquals(10000.0, c.ropeTheta());
  }

  @Test
  void parse_refusesBadShapesNamingTheKey() {
    String base = "\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"vocab_size\":300";
    assertMessage("num_key_value_heads: 3", "{" + base + ",\"num_attention_heads\":4,\"num_key_value_heads\":3}");
    assertMessage("num_attention_heads: missing", "{" + base + "}");
    assertMessage("hidden_size: \"64\"", "{\"hidden_size\":\"64\",\"intermediate_size\":1,\"num_hidden_layers\":1,\"num_attention_heads\":1,\"vocab_size\":1}");
    assertMessage("model_type: \"gpt2\"", "{\"model_type\":\"gpt2\"," + base + ",\"num_attention_heads\":4}");
    assertMessage("torch_dtype: \"int8\" (expected: float32, float16 or bfloat16)", "{" + base + ",\"num_attention_heads\":4,\"torch_dtype\":\"int8\"}");
    assertMessage("torch_dtype: dtype \"q4\"", "{" + base + ",\"num_attention_heads\":4,\"torch_dtype\":\"q4\"}");
    assertMessage("num_hidden_layers: 0", "{\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":0,\"vocab_size\":300,\"num_attention_heads\":4}");
    assertMessage("not valid JSON", "{");
  }

  @Test
  void read_namesTheFileWhenMissing(@TempDir Path dir) {
    ConfigException e = assertThrows(ConfigException.class, () -> ModelConfig.read(dir));
    assertTrue(e.getMessage().contains("config.json"), e.getMessage());
  }

  private static void assertMessage(String fragment, String json) {
    ConfigException e = assertThrows(ConfigException.class, () -> ModelConfig.parse(json));
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }
}
