package io.stratacache.kv;

import io.stratacache.config.ConfigSection;
import io.stratacache.config.Setting;
import io.stratacache.core.tensor.TensorCodec;
import java.util.List;

/**
 * Section {@code kv:} of the configuration: the KV-cache adapter's settings, read into {@link
 * KvConfig}. Each key also has the original StrataCache's flat name of the same spelling.
 */
public final class KvSection implements ConfigSection {
  /** Tokens per chunk. */
  public static final Setting<Integer> CHUNK_SIZE =
      Setting.integer("chunk_size", 256).check(n -> n > 0, "a positive number of tokens, e.g. 256").flat("chunk_size");
  /** One artifact per chunk holding every layer. */
  public static final Setting<Boolean> BUNDLE_LAYERS = Setting.bool("bundle_layers", true).flat("bundle_layers");
  /** Store a trailing chunk shorter than {@code chunk_size}. */
  public static final Setting<Boolean> SAVE_PARTIAL_CHUNKS =
      Setting.bool("save_partial_chunks", true).flat("save_partial_chunks");
  /** Codec of tensor payloads. */
  public static final Setting<String> TENSOR_CODEC =
      Setting.choice("tensor_codec", TensorCodec.NAME, TensorCodec.NAME).flat("tensor_codec");
  /** Also put a safetensors-compatible header in each payload. */
  public static final Setting<Boolean> TENSOR_HEADER_IN_PAYLOAD =
      Setting.bool("tensor_header_in_payload", false).flat("tensor_header_in_payload");

  /** The section's name. */
  public static final String NAME = "kv";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Setting<?>> settings() {
    return List.of(CHUNK_SIZE, BUNDLE_LAYERS, SAVE_PARTIAL_CHUNKS, TENSOR_CODEC, TENSOR_HEADER_IN_PAYLOAD);
  }
}
