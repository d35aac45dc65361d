package io.stratacache.djl;

import com.fasterxml.jackson.databind.JsonNode;
import io.stratacache.core.ConfigException;
import java.util.Iterator;
import java.util.Set;

/**
 * Which keys of a Hugging Face {@code config.json} a {@link ModelConfig} may meet. Every key is
 * either read (and its value checked), known not to change the outputs of a forward pass
 * (generation defaults, token ids, training-only settings), or refused by name: a key this
 * loader does not know might change the math, and ignoring it would give silently different
 * outputs.
 */
final class ConfigKeys {
  /** Keys {@link ModelConfig#parse} reads. */
  static final Set<String> READ = Set.of(
      "model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
      "head_dim", "rms_norm_eps", "rope_theta", "rope_scaling", "rope_parameters", "max_position_embeddings", "vocab_size",
      "tie_word_embeddings", "attention_bias", "mlp_bias", "torch_dtype", "dtype", "hidden_act", "architectures",
      "sliding_window", "use_sliding_window", "max_window_layers", "layer_types", "partial_rotary_factor", "rope_interleaved");

  /** Keys that do not change a forward pass's outputs. */
  static final Set<String> HARMLESS = Set.of(
      "_name_or_path", "transformers_version", "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id",
      "decoder_start_token_id", "use_cache", "initializer_range", "attention_dropout", "pretraining_tp", "tokenizer_class",
      "id2label", "label2id", "problem_type", "finetuning_task", "task_specific_params", "prefix", "return_dict",
      "output_attentions", "output_hidden_states", "torchscript", "use_bfloat16", "tf_legacy_loss", "is_decoder",
      "is_encoder_decoder", "add_cross_attention", "tie_encoder_decoder", "chunk_size_feed_forward",
      "max_length", "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups", "diversity_penalty",
      "temperature", "top_k", "top_p", "typical_p", "repetition_penalty", "length_penalty", "no_repeat_ngram_size",
      "encoder_no_repeat_ngram_size", "bad_words_ids", "num_return_sequences", "output_scores", "return_dict_in_generate",
      "forced_bos_token_id", "forced_eos_token_id", "remove_invalid_values", "exponential_decay_length_penalty",
      "suppress_tokens", "begin_suppress_tokens", "is_llama_config");

  private ConfigKeys() {}

  /**
   * Refuses any key of {@code root} that is neither read nor harmless, and any value of a read
   * key that asks for something this model does not compute (another activation or
   * architecture, a sliding window that applies, a partial rotary factor).
   *
   * @throws ConfigException naming the key and its value
   */
  static void check(JsonNode root, String type) {
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!READ.contains(key) && !HARMLESS.contains(key)) {
        throw new ConfigException(key + ": " + abbreviate(root.get(key)) + " (not supported: this key may change the model's "
            + "outputs; a " + type + " configuration here may hold only the keys a Hugging Face " + type
            + " model reads, and keys such as generation defaults that change nothing)");
      }
    }
    JsonNode act = root.get("hidden_act");
    if (act != null && !act.isNull() && !act.asText().equals("silu")) {
      throw new ConfigException("hidden_act: " + act + " (not supported; expected: \"silu\")");
    }
    String architecture = type.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM";
    JsonNode arch = root.get("architectures");
    if (arch != null && !arch.isNull()) {
      if (!arch.isArray()) {
        throw new ConfigException("architectures: " + arch + " (expected: a list such as [\"" + architecture + "\"])");
      }
      for (JsonNode a : arch) {
        if (!a.asText().equals(architecture)) {
          throw new ConfigException("architectures: " + arch + " (not supported; expected: [\"" + architecture + "\"] for model_type "
              + type + ")");
        }
      }
    }
    JsonNode useSliding = root.get("use_sliding_window");
    if (useSliding != null && !useSliding.isNull() && (!useSliding.isBoolean() || useSliding.asBoolean())) {
      throw new ConfigException("use_sliding_window: " + useSliding + " (not supported; expected: false, full attention in every layer)");
    }
    if (type.equals("qwen2") && useSliding == null && root.hasNonNull("sliding_window")) {
      // Qwen2 applies its window only with use_sliding_window; absent means its default, false.
      checkWindowSize(root);
    }
    JsonNode layerTypes = root.get("layer_types");
    if (layerTypes != null && !layerTypes.isNull()) {
      if (!layerTypes.isArray()) {
        throw new ConfigException("layer_types: " + abbreviate(layerTypes) + " (expected: a list of \"full_attention\")");
      }
      for (int i = 0; i < layerTypes.size(); i++) {
        if (!layerTypes.get(i).asText().equals("full_attention")) {
          throw new ConfigException("layer_types[" + i + "]: " + layerTypes.get(i) + " (not supported; expected: \"full_attention\")");
        }
      }
    }
    checkPartialRotary(root.get("partial_rotary_factor"), "partial_rotary_factor");
    JsonNode interleaved = root.get("rope_interleaved");
    if (interleaved != null && !interleaved.isNull() && (!interleaved.isBoolean() || interleaved.asBoolean())) {
      throw new ConfigException("rope_interleaved: " + interleaved + " (not supported; expected: false, rotating the two halves of a head)");
    }
  }

  private static void checkWindowSize(JsonNode root) {
    JsonNode w = root.get("sliding_window");
    if (!w.isIntegralNumber()) {
      throw new ConfigException("sliding_window: " + w + " (expected: an integer or null)");
    }
  }

  /** Refuses a partial rotary factor other than 1 (every dimension of a head rotates). */
  static void checkPartialRotary(JsonNode value, String key) {
    if (value != null && !value.isNull() && (!value.isNumber() || value.asDouble() != 1.0)) {
      throw new ConfigException(key + ": " + value + " (not supported; expected: 1.0, rotary embeddings on the whole head)");
    }
  }

  private static String abbreviate(JsonNode n) {
    String s = n.toString();
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
