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
 * @param attentionBias whether the attention projections have biases: q, k, v and o for llama
 *     ({@code attention_bias}), q, k and v always for qwen2
 * @param torchDtype {@code torch_dtype} (or {@code dtype}): the checkpoint's element type
 * @param maxPositionEmbeddings {@code max_position_embeddings} (used by {@code dynamic} and
 *     {@code yarn} rope scaling)
 * @param ropeScaling {@code rope_scaling}: how rotary frequencies are scaled
 * @param mlpBias whether gate, up and down projections have biases ({@code mlp_bias}, llama only)
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
    DType torchDtype,
    int maxPositionEmbeddings,
    RopeScaling ropeScaling,
    boolean mlpBias) {
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
    positive("max_position_embeddings", maxPositionEmbeddings);
    if (ropeScaling == null) {
      throw new ConfigException("rope_scaling: null record (expected: RopeScaling.NONE for no scaling)");
    }
    if (ropeScaling.dependsOnLength() && headDim <= 2) {
      throw new ConfigException("head_dim: " + headDim + " (expected: > 2 for dynamic rope scaling)");
    }
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
    if (!"llama".equals(modelType) && !"qwen2".equals(modelType)) {
      throw new ConfigException("model_type: " + modelType + " (expected: llama or qwen2)");
    }
    if (modelType.equals("qwen2") && !attentionBias) {
      throw new ConfigException("attention_bias: false (expected: true for qwen2, whose q/k/v projections always have biases)");
    }
    if (modelType.equals("qwen2") && mlpBias) {
      throw new ConfigException("mlp_bias: true (not supported for qwen2, whose MLP has no biases)");
    }
    if (torchDtype == null) {
      throw new ConfigException("torch_dtype: null (expected: float32, float16 or bfloat16)");
    }
    if (!torchDtype.convertsToF32()) {
      throw new ConfigException("torch_dtype: \"" + torchDtype.torchName() + "\" (expected: float32, float16 or bfloat16)");
    }
  }

  /**
   * A config with no rope scaling, no MLP biases and the Hugging Face default
   * {@code max_position_embeddings} of the type (2048 for llama, 32768 for qwen2).
   */
  public ModelConfig(String modelType, int hiddenSize, int intermediateSize, int numLayers, int numHeads, int numKvHeads,
      int headDim, double rmsNormEps, double ropeTheta, int vocabSize, boolean tieWordEmbeddings, boolean attentionBias,
      DType torchDtype) {
    this(modelType, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, rmsNormEps, ropeTheta, vocabSize,
        tieWordEmbeddings, attentionBias, torchDtype, "qwen2".equals(modelType) ? 32768 : 2048, RopeScaling.NONE, false);
  }

  /** This config with {@code ropeScaling} over {@code maxPositionEmbeddings} positions. */
  public ModelConfig withRope(int maxPositionEmbeddings, RopeScaling ropeScaling) {
    return new ModelConfig(modelType, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, rmsNormEps, ropeTheta,
        vocabSize, tieWordEmbeddings, attentionBias, torchDtype, maxPositionEmbeddings, ropeScaling, mlpBias);
  }

  /** This config with the given biases ({@code attention_bias}, {@code mlp_bias}). */
  public ModelConfig withBiases(boolean attentionBias, boolean mlpBias) {
    return new ModelConfig(modelType, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, rmsNormEps, ropeTheta,
        vocabSize, tieWordEmbeddings, attentionBias, torchDtype, maxPositionEmbeddings, ropeScaling, mlpBias);
  }

  /** Whether the attention output projection has a bias (llama with {@code attention_bias}). */
  public boolean outputBias() {
    return attentionBias && modelType.equals("llama");
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
    ConfigKeys.check(root, type);
    int hidden = integer(root, "hidden_size", null);
    int heads = integer(root, "num_attention_heads", null);
    int maxPositions = integer(root, "max_position_embeddings", type.equals("qwen2") ? 32768 : 2048);
    JsonNode ropeParameters = field(root, "rope_parameters");
    double theta;
    RopeScaling scaling;
    if (ropeParameters != null) {
      if (field(root, "rope_scaling") != null) {
        throw new ConfigException("rope_scaling and rope_parameters: both set (expected: one of them)");
      }
      if (!ropeParameters.isObject()) {
        throw new ConfigException("rope_parameters: " + ropeParameters + " (expected: an object)");
      }
      ObjectNode rope = ((ObjectNode) ropeParameters).deepCopy();
      theta = rope.has("rope_theta") ? number(rope, "rope_theta", 10000.0) : number(root, "rope_theta", 10000.0);
      ConfigKeys.checkPartialRotary(rope.remove("partial_rotary_factor"), "rope_parameters.partial_rotary_factor");
      rope.remove("rope_theta");
      try {
        scaling = RopeScaling.parse(rope, maxPositions);
      } catch (ConfigException e) {
        // the same keys under their newer name, so the message names the key as the file has it
        throw new ConfigException(e.getMessage().replaceFirst("^rope_scaling", "rope_parameters"), e);
      }
    } else {
      theta = number(root, "rope_theta", 10000.0);
      scaling = RopeScaling.parse(field(root, "rope_scaling"), maxPositions);
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
        theta,
        integer(root, "vocab_size", null),
        bool(root, "tie_word_embeddings", false),
        bool(root, "attention_bias", type.equals("qwen2")),
        dtype(root),
        maxPositions,
        scaling,
        bool(root, "mlp_bias", false));
  }

  private static DType dtype(JsonNode root) {
    String torch = text(root, "torch_dtype", null);
    String plain = text(root, "dtype", null);
    if (torch != null && plain != null && !torch.equals(plain)) {
      throw new ConfigException("dtype: \"" + plain + "\" and torch_dtype: \"" + torch + "\" (expected: the same element type)");
    }
    String key = plain != null ? "dtype" : "torch_dtype";
    String name = plain != null ? plain : torch != null ? torch : "float32";
    try {
      return DType.forName(name);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + ": " + e.getMessage(), e);
    }
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
    o.set("rope_scaling", ropeScaling.toJson());
    o.put("max_position_embeddings", maxPositionEmbeddings);
    o.put("vocab_size", vocabSize);
    o.put("tie_word_embeddings", tieWordEmbeddings);
    o.put("attention_bias", attentionBias);
    if (modelType.equals("llama")) {
      o.put("mlp_bias", mlpBias);
    }
    o.put("hidden_act", "silu");
    o.put("torch_dtype", torchDtype.torchName());
    o.put("use_cache", true);
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
