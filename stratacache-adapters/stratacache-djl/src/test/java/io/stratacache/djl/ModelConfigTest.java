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

  @Test
  void parse_loadsTheFieldsRealCheckpointsCarry() {
    // Llama 3.2 style: llama3 rope scaling, eos_token_id as a list, torch_dtype, use_cache, ...
    ModelConfig llama = ModelConfig.parse("""
        {"architectures":["LlamaForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"bos_token_id":128000,
         "eos_token_id":[128001,128008,128009],"head_dim":64,"hidden_act":"silu","hidden_size":2048,"initializer_range":0.02,
         "intermediate_size":8192,"max_position_embeddings":131072,"mlp_bias":false,"model_type":"llama",
         "num_attention_heads":32,"num_hidden_layers":16,"num_key_value_heads":8,"pretraining_tp":1,"rms_norm_eps":1e-05,
         "rope_scaling":{"factor":32.0,"high_freq_factor":4.0,"low_freq_factor":1.0,"original_max_position_embeddings":8192,
         "rope_type":"llama3"},"rope_theta":500000.0,"tie_word_embeddings":true,"torch_dtype":"bfloat16",
         "transformers_version":"4.45.0.dev0","use_cache":true,"vocab_size":128256}""");
    assertEquals("llama3", llama.ropeScaling().type());
    assertEquals(32.0, llama.ropeScaling().factor());
    assertEquals(131072, llama.maxPositionEmbeddings());
    assertEquals(DType.BF16, llama.torchDtype());
    // Qwen2.5 style: sliding_window that does not apply, rope_scaling null, the newer dtype key.
    ModelConfig qwen = ModelConfig.parse("""
        {"architectures":["Qwen2ForCausalLM"],"attention_dropout":0.0,"bos_token_id":151643,"eos_token_id":151645,
         "hidden_act":"silu","hidden_size":896,"initializer_range":0.02,"intermediate_size":4864,
         "max_position_embeddings":32768,"max_window_layers":21,"model_type":"qwen2","num_attention_heads":14,
         "num_hidden_layers":24,"num_key_value_heads":2,"rms_norm_eps":1e-06,"rope_scaling":null,"rope_theta":1000000.0,
         "sliding_window":32768,"tie_word_embeddings":true,"dtype":"bfloat16","transformers_version":"4.43.1",
         "use_cache":true,"use_sliding_window":false,"vocab_size":151936,"layer_types":["full_attention","full_attention"]}""");
    assertEquals(RopeScaling.NONE, qwen.ropeScaling());
    assertTrue(qwen.attentionBias());
    assertFalse(qwen.outputBias());
    // The newer rope_parameters form carries rope_theta inside.
    ModelConfig v5 = ModelConfig.parse("""
        {"model_type":"llama","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,
         "vocab_size":300,"rope_parameters":{"rope_type":"linear","factor":2.0,"rope_theta":5000.0}}""");
    assertEquals(5000.0, v5.ropeTheta());
    assertEquals("linear", v5.ropeScaling().type());
  }

  @Test
  void toJson_roundTripsRopeScalingAndBiases() {
    ModelConfig base = CheckpointGenerator.tinyLlama();
    for (String rope : new String[] {
        "{\"rope_type\":\"linear\",\"factor\":2.5}", "{\"rope_type\":\"dynamic\",\"factor\":2}",
        "{\"rope_type\":\"llama3\",\"factor\":8,\"low_freq_factor\":1,\"high_freq_factor\":4,\"original_max_position_embeddings\":64}",
        "{\"rope_type\":\"yarn\",\"factor\":4,\"mscale\":1,\"mscale_all_dim\":0.5,\"truncate\":false}"}) {
      ModelConfig c = base.withRope(1024, RopeScaling.parse(parseJson(rope), 1024)).withBiases(true, true);
      assertEquals(c, ModelConfig.parse(c.toJson()), rope);
    }
  }

  @Test
  void parse_refusesWhatWouldChangeTheMathNamingKeyAndValue() {
    String base = "\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,"
        + "\"num_attention_heads\":4,\"vocab_size\":300";
    assertMessage("rope_scaling.rope_type: \"longrope\"", "{" + base + ",\"rope_scaling\":{\"rope_type\":\"longrope\",\"factor\":2}}");
    assertMessage("rope_parameters.rope_type: \"longrope\"", "{" + base + ",\"rope_parameters\":{\"rope_type\":\"longrope\",\"rope_theta\":1e4}}");
    assertMessage("rope_scaling.rope_type: \"su\"", "{" + base + ",\"rope_scaling\":{\"type\":\"su\"}}");
    assertMessage("rope_scaling.factor: missing", "{" + base + ",\"rope_scaling\":{\"rope_type\":\"linear\"}}");
    assertMessage("rope_scaling.low_freq_factor: 2.0", "{" + base + ",\"rope_scaling\":{\"rope_type\":\"linear\",\"factor\":2,\"low_freq_factor\":2.0}}");
    assertMessage("rope_scaling.original_max_position_embeddings: missing",
        "{" + base + ",\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8,\"low_freq_factor\":1,\"high_freq_factor\":4}}");
    assertMessage("quantization_config: {\"quant_method\":\"gptq\"}", "{" + base + ",\"quantization_config\":{\"quant_method\":\"gptq\"}}");
    assertMessage("hidden_act: \"gelu\"", "{" + base + ",\"hidden_act\":\"gelu\"}");
    assertMessage("use_sliding_window: true", "{" + base + ",\"use_sliding_window\":true,\"sliding_window\":4096}");
    assertMessage("rope_interleaved: true", "{" + base + ",\"rope_interleaved\":true,\"is_llama_config\":true}");
    assertMessage("partial_rotary_factor: 0.5", "{" + base + ",\"partial_rotary_factor\":0.5}");
    assertMessage("architectures: [\"MistralForCausalLM\"]", "{" + base + ",\"architectures\":[\"MistralForCausalLM\"]}");
    assertMessage("layer_types[1]: \"sliding_attention\"", "{" + base + ",\"layer_types\":[\"full_attention\",\"sliding_attention\"]}");
    assertMessage("mlp_bias: true (not supported for qwen2", "{" + base.replace("llama", "qwen2") + ",\"mlp_bias\":true}");
    assertMessage("dtype: \"float16\" and torch_dtype: \"bfloat16\"", "{" + base + ",\"dtype\":\"float16\",\"torch_dtype\":\"bfloat16\"}");
  }

  private static com.fasterxml.jackson.databind.JsonNode parseJson(String json) {
    try {
      return com.fasterxml.jackson.databind.json.JsonMapper.builder().build().readTree(json);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
