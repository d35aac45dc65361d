package io.stratacache.kv;

import io.stratacache.config.SectionValues;
import io.stratacache.config.StrataConfig;
import io.stratacache.core.tensor.TensorCodec;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Settings of the KV-cache adapter (section {@code kv:}, the original StrataCache's flat keys of
 * the same names). Read from a configuration with {@link #from(StrataConfig)} or made with {@link
 * #builder()}; both refuse nonsense, naming the value.
 *
 * <pre>{@code
 * KvConfig kv = KvConfig.builder().chunkSize(16).savePartialChunks(false).build();
 * }</pre>
 *
 * @param chunkSize tokens per chunk ({@code chunk_size}), positive
 * @param bundleLayers one artifact per chunk holding all layers ({@code bundle_layers})
 * @param savePartialChunks store a trailing partial chunk ({@code save_partial_chunks})
 * @param tensorCodec codec of tensor payloads ({@code tensor_codec}; {@code stable})
 * @param tensorHeaderInPayload put a safetensors-compatible header in each payload
 */
public record KvConfig(
    int chunkSize, boolean bundleLayers, boolean savePartialChunks, String tensorCodec, boolean tensorHeaderInPayload) {
  public static final KvConfig DEFAULTS = new KvConfig(256, true, true, TensorCodec.NAME, false);

  /**
   * @throws IllegalArgumentException if {@code chunkSize} is not positive or {@code tensorCodec}
   *     is not {@value TensorCodec#NAME}
   */
  public KvConfig {
    if (chunkSize <= 0) {
      throw new IllegalArgumentException("chunkSize: " + chunkSize + " (expected: a positive number of tokens, e.g. 256)");
    }
    if (!TensorCodec.NAME.equals(Objects.requireNonNull(tensorCodec, "tensorCodec"))) {
      throw new IllegalArgumentException("tensorCodec: \"" + tensorCodec + "\" (expected: \"" + TensorCodec.NAME
          + "\"; KV chunks are raw C-order tensors)");
    }
  }

  /** The {@code kv:} section of {@code config}. */
  public static KvConfig from(StrataConfig config) {
    SectionValues v = Objects.requireNonNull(config, "config").section(KvSection.NAME);
    return new KvConfig(v.get(KvSection.CHUNK_SIZE), v.get(KvSection.BUNDLE_LAYERS), v.get(KvSection.SAVE_PARTIAL_CHUNKS),
        v.get(KvSection.TENSOR_CODEC), v.get(KvSection.TENSOR_HEADER_IN_PAYLOAD));
  }

  /** A builder starting from {@link #DEFAULTS}. */
  public static Builder builder() {
    return new Builder(DEFAULTS);
  }

  /** A builder starting from these settings; each may still be set once. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Builds a {@link KvConfig}. Each setting may be set once ({@link IllegalStateException} names
   * the earlier value); a value out of range is refused at once ({@link IllegalArgumentException}
   * naming it); unset settings keep the starting values.
   */
  public static final class Builder {
    private int chunkSize;
    private boolean bundleLayers;
    private boolean savePartialChunks;
    private String tensorCodec;
    private boolean tensorHeaderInPayload;
    private final Set<String> set = new HashSet<>();

    private Builder(KvConfig from) {
      chunkSize = from.chunkSize;
      bundleLayers = from.bundleLayers;
      savePartialChunks = from.savePartialChunks;
      tensorCodec = from.tensorCodec;
      tensorHeaderInPayload = from.tensorHeaderInPayload;
    }

    private void once(String name, Object current) {
      if (!set.add(name)) {
        throw new IllegalStateException(name + " was already set to " + current);
      }
    }

    /** Tokens per chunk; positive. */
    public Builder chunkSize(int tokens) {
      if (tokens <= 0) {
        throw new IllegalArgumentException("chunkSize: " + tokens + " (expected: a positive number of tokens, e.g. 256)");
      }
      once("chunkSize", chunkSize);
      chunkSize = tokens;
      return this;
    }

    /** One artifact per chunk holding every layer ({@code true}) or one per chunk and layer. */
    public Builder bundleLayers(boolean bundle) {
      once("bundleLayers", bundleLayers);
      bundleLayers = bundle;
      return this;
    }

    /** Whether a trailing chunk shorter than the chunk size is stored. */
    public Builder savePartialChunks(boolean save) {
      once("savePartialChunks", savePartialChunks);
      savePartialChunks = save;
      return this;
    }

    /** The tensor codec; only {@value TensorCodec#NAME}. */
    public Builder tensorCodec(String codec) {
      Objects.requireNonNull(codec, "tensorCodec");
      if (!TensorCodec.NAME.equals(codec)) {
        throw new IllegalArgumentException("tensorCodec: \"" + codec + "\" (expected: \"" + TensorCodec.NAME
            + "\"; KV chunks are raw C-order tensors)");
      }
      once("tensorCodec", tensorCodec);
      tensorCodec = codec;
      return this;
    }

    /** Whether each payload also carries a safetensors-compatible header. */
    public Builder tensorHeaderInPayload(boolean header) {
      once("tensorHeaderInPayload", tensorHeaderInPayload);
      tensorHeaderInPayload = header;
      return this;
    }

    /** The settings. */
    public KvConfig build() {
      return new KvConfig(chunkSize, bundleLayers, savePartialChunks, tensorCodec, tensorHeaderInPayload);
    }
  }
}
