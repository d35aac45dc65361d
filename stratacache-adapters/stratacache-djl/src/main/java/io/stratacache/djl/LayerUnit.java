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
  DOWN_PROJ("mlp.down_proj.weight");

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

  /** Whether this is a q/k/v bias (present only with {@code attention_bias}). */
  public boolean isBias() {
    return this == Q_BIAS || this == K_BIAS || this == V_BIAS;
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
      if (!u.isBias() || config.attentionBias()) {
        out.add(u);
      }
    }
    return List.copyOf(out);
  }
}
