package io.stratacache.djl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stratacache.core.ConfigException;
import io.stratacache.core.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The shape of a Llama / Qwen2 decoder, as a Hugging Face {@code config.json} states it.
 *
 * @param modelType {@code model_type}, e.g. {@code llama} or {@code qwen2}
 * @param hiddenSize {@code hidden_size}
 * @param intermediateSize {@code intermediate_size} (the MLP's inner width)
 * @param numLayers {@code num_hidden_layers}
 * @param numHeads {@code num_attention_heads}
 * @param numKvHeads {@code num_key_value_heads} (grouped-query attention; equal to numHeads for MHA)
 * @param headDim {@code head_dim}, by default {@code hidden_size / num_attention_heads}
 * @param rmsNormEps {@code rms_norm_eps}
 * @param ropeTheta {@code rope_theta}
 * @param vocabSize {@code vocab_size}
 * @param tieWordEmbeddings {@code tie_word_embeddings}: the output head reuses the embedding
 * @param attentionBias whether q/k/v projections have biases ({@code attention_bias}; always for qwen2)
 * @param torchDtype {@code torch_dtype}: the checkpoint's element type
 */
public record ModelConfig(
    String modelType,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    int vocabSize,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    DType torchDtype) {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Name of the configuration file in a checkpoint directory. */
  public static final String FILE_NAME = "config.json";

  /**
   * Checks the shapes.
   *
   * @throws ConfigException naming the key, the value and what was expected
   */
  public ModelConfig {
    positive("hidden_size", hiddenSize);
    positive("intermediate_size", intermediateSize);
    positive("num_hidden_layers", numLayers);
    positive("num_attention_heads", numHeads);
    positive("num_key_value_heads", numKvHeads);
    positive("head_dim", headDim);
    positive("vocab_size", vocabSize);
    if (numHeads % numKvHeads != 0) {
      throw new ConfigException(
          "num_key_value_heads: " + numKvHeads + " (expected: a divisor of num_attention_heads " + numHeads + ")");
    }
    if (headDim % 2 != 0) {
      throw new ConfigException("head_dim: " + headDim + " (expected: even, for rotary embeddings)");
    }
    if (!(rmsNormEps > 0)) {
      throw new ConfigException("rms_norm_eps: " + rmsNormEps + " (expected: > 0)");
    }
    if (!(ropeTheta > 0)) {
      throw new ConfigException("rope_theta: " + ropeTheta + " (expected: > 0)");
    }
    if (modelType == null || modelType.isEmpty()) {
      throw new ConfigException("model_type: " + modelType + " (expected: e.g. llama or qwen2)");
    }
    if (torchDtype == null) {
      throw new ConfigException("torch_dtype: null (expected: float32, float16 or bfloat16)");
    }
    if (!torchDtype.convertsToF32()) {
      throw new ConfigException("torch_dtype: \"" + torchDtype.torchName() + "\" (expected: float32, float16 or bfloat16)");
    }
  }

  private static void positive(String key, int value) {
    if (value <= 0) {
      throw new ConfigException(key + ": " + value + " (expected: > 0)");
    }
  }

  /** Query heads per KV head. */
  public int groupSize() {
    return numHeads / numKvHeads;
  }

  /** Width of the K (or V) projection: {@code num_key_value_heads * head_dim}. */
  public int kvDim() {
    return numKvHeads * headDim;
  }

  /** Width of the Q projection: {@code num_attention_heads * head_dim}. */
  public int qDim() {
    return numHeads * headDim;
  }

  /**
   * Reads {@code dir/config.json}.
   *
   * @throws ConfigException if the file is missing, not JSON, or a key is missing or wrong
   */
  public static ModelConfig read(Path dir) {
    Path file = dir.resolve(FILE_NAME);
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read model configuration: " + e.getMessage(), e);
    }
    try {
      return parse(text);
    } catch (ConfigException e) {
      throw new ConfigException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses the JSON of a {@code config.json}.
   *
   * @throws ConfigException if it is not JSON or a key is missing or wrong
   */
  public static ModelConfig parse(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw new ConfigException("not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new ConfigException("model configuration is not a JSON object");
    }
    String type = text(root, "model_type", "llama").toLowerCase(Locale.ROOT);
    if (!type.equals("llama") && !type.equals("qwen2")) {
      throw new ConfigException("model_type: \"" + type + "\" (expected: llama or qwen2)");
    }
    int hidden = integer(root, "hidden_size", null);
    int heads = integer(root, "num_attention_heads", null);
    DType dtype;
    try {
      dtype = DType.forName(text(root, "torch_dtype", "float32"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("torch_dtype: " + e.getMessage(), e);
    }

    return new ModelConfig(
        type,
        hidden,
        integer(root, "intermediate_size", null),
        integer(root, "num_hidden_layers", null),
        heads,
        integer(root, "num_key_value_heads", heads),
        integer(root, "head_dim", heads > 0 ? hidden / heads : 1),
        number(root, "rms_norm_eps", 1e-6),
        number(root, "rope_theta", 10000.0),
        integer(root, "vocab_size", null),
        bool(root, "tie_word_embeddings", false),
        bool(root, "attention_bias", type.equals("qwen2")),
        dtype);
  }

  /** The {@code config.json} form; {@link #parse} of it gives back an equal record. */
  public String toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.putArray("architectures").add(modelType.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
    o.put("model_type", modelType);
    o.put("hidden_size", hiddenSize);
    o.put("intermediate_size", intermediateSize);
    o.put("num_hidden_layers", numLayers);
    o.put("num_attention_heads", numHeads);
    o.put("num_key_value_heads", numKvHeads);
    o.put("head_dim", headDim);
    o.put("rms_norm_eps", rmsNormEps);
    o.put("rope_theta", ropeTheta);
    o.put("vocab_size", vocabSize);
    o.put("tie_word_embeddings", tieWordEmbeddings);
    o.put("attention_bias", attentionBias);
    o.put("hidden_act", "silu");
    o.put("torch_dtype", torchDtype.torchName());
    return o.toPrettyString();
  }

  private static JsonNode field(JsonNode root, String key) {
    JsonNode n = root.get(key);
    return n == null || n.isNull() ? null : n;
  }

  private static String text(JsonNode root, String key, String dflt) {
    JsonNode n = field(root, key);
    if (n == null) {
      return dflt;
    }
    if (!n.isTextual()) {
      throw new ConfigException(key + ": " + n + " (expected: a string)");
    }
    return n.asText();
  }

  private static int integer(JsonNode root, String key, Integer dflt) {
    JsonNode n = field(root, key);
    if (n == null) {
      if (dflt == null) {
        throw new ConfigException(key + ": missing (expected: an integer)");
      }
      return dflt;
    }
    if (!n.canConvertToInt() || !n.isIntegralNumber()) {
      throw new ConfigException(key + ": " + n + " (expected: an integer)");
    }
    return n.asInt();
  }

  private static double number(JsonNode root, String key, double dflt) {
    JsonNode n = field(root, key);
    if (n == null) {
      return dflt;
    }
    if (!n.isNumber()) {
      throw new ConfigException(key + ": " + n + " (expected: a number)");
    }
    return n.asDouble();
  }

  private static boolean bool(JsonNode root, String key, boolean dflt) {
    JsonNode n = field(root, key);
    if (n == null) {
      return dflt;
    }
    if (!n.isBoolean()) {
      throw new ConfigException(key + ": " + n + " (expected: true or false)");
    }
    return n.asBoolean();
  }
}
