package io.stratacache.djl;

import java.util.ArrayList;
import java.util.List;

/**
 * The tensors of one decoder layer, named as in a Hugging Face checkpoint
 * ({@code model.layers.N.<suffix>}), with the shape each must have.
 */
public enum LayerUnit {
  INPUT_NORM("input_layernorm.weight"),
  Q_PROJ("self_attn.q_proj.weight"),
  Q_BIAS("self_attn.q_proj.bias"),
  K_PROJ("self_attn.k_proj.weight"),
  K_BIAS("self_attn.k_proj.bias"),
  V_PROJ("self_attn.v_proj.weight"),
  V_BIAS("self_attn.v_proj.bias"),
  O_PROJ("self_attn.o_proj.weight"),
  POST_NORM("post_attention_layernorm.weight"),
  GATE_PROJ("mlp.gate_proj.weight"),
  UP_PROJ("mlp.up_proj.weight"),
  DOWN_PROJ("mlp.down_proj.weight"),
  O_BIAS("self_attn.o_proj.bias"),
  GATE_BIAS("mlp.gate_proj.bias"),
  UP_BIAS("mlp.up_proj.bias"),
  DOWN_BIAS("mlp.down_proj.bias");

  /** Name of the token embedding. */
  public static final String EMBED_TOKENS = "model.embed_tokens.weight";

  /** Name of the final norm. */
  public static final String FINAL_NORM = "model.norm.weight";

  /** Name of the output head (absent when embeddings are tied). */
  public static final String LM_HEAD = "lm_head.weight";

  private final String suffix;

  LayerUnit(String suffix) {
    this.suffix = suffix;
  }

  /** The name within a layer, e.g. {@code self_attn.q_proj.weight}. */
  public String suffix() {
    return suffix;
  }

  /** The full checkpoint name in layer {@code layer}, e.g. {@code model.layers.3.mlp.up_proj.weight}. */
  public String tensorName(int layer) {
    return "model.layers." + layer + "." + suffix;
  }

  /** Whether this is a bias (present only when the config asks for it). */
  public boolean isBias() {
    return suffix.endsWith(".bias");
  }

  /**
   * Whether a layer of {@code config} has this tensor: weights always; q/k/v biases with
   * {@code attention_bias} (always for qwen2); the o bias with a llama {@code attention_bias};
   * gate/up/down biases with {@code mlp_bias}.
   */
  public boolean presentIn(ModelConfig c) {
    return switch (this) {
      case Q_BIAS, K_BIAS, V_BIAS -> c.attentionBias();
      case O_BIAS -> c.outputBias();
      case GATE_BIAS, UP_BIAS, DOWN_BIAS -> c.mlpBias();
      default -> true;
    };
  }

  /** The shape this tensor has in a model of {@code config}. */
  public long[] shape(ModelConfig c) {
    return switch (this) {
      case INPUT_NORM, POST_NORM -> new long[] {c.hiddenSize()};
      case Q_PROJ -> new long[] {c.qDim(), c.hiddenSize()};
      case Q_BIAS -> new long[] {c.qDim()};
      case K_PROJ, V_PROJ -> new long[] {c.kvDim(), c.hiddenSize()};
      case K_BIAS, V_BIAS -> new long[] {c.kvDim()};
      case O_PROJ -> new long[] {c.hiddenSize(), c.qDim()};
      case O_BIAS, DOWN_BIAS -> new long[] {c.hiddenSize()};
      case GATE_BIAS, UP_BIAS -> new long[] {c.intermediateSize()};
      case GATE_PROJ, UP_PROJ -> new long[] {c.intermediateSize(), c.hiddenSize()};
      case DOWN_PROJ -> new long[] {c.hiddenSize(), c.intermediateSize()};
    };
  }

  /** Number of elements of this tensor in a model of {@code config}. */
  public long elementCount(ModelConfig c) {
    long n = 1;
    for (long d : shape(c)) {
      n *= d;
    }
    return n;
  }

  /** The units a layer of {@code config} has, in declaration order. */
  public static List<LayerUnit> of(ModelConfig config) {
    List<LayerUnit> out = new ArrayList<>();
    for (LayerUnit u : values()) {
      if (u.presentIn(config)) {
        out.add(u);
      }
    }
    return List.copyOf(out);
  }
}
