package io.stratacache.config;

/**
 * Settings of the KV-cache adapter (the original StrataCache's flat keys of the same names).
 *
 * @param chunkSize tokens per chunk ({@code chunk_size})
 * @param bundleLayers one artifact per chunk holding all layers ({@code bundle_layers})
 * @param savePartialChunks store a trailing partial chunk ({@code save_partial_chunks})
 * @param tensorCodec codec of tensor payloads ({@code tensor_codec}; {@code stable})
 * @param tensorHeaderInPayload put a safetensors-compatible header in each payload
 */
public record KvConfig(
    int chunkSize, boolean bundleLayers, boolean savePartialChunks, String tensorCodec, boolean tensorHeaderInPayload) {
  public static final KvConfig DEFAULTS = new KvConfig(256, true, true, "stable", false);
}
