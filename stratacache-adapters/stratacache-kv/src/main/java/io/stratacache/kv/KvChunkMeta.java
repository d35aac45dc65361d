package io.stratacache.kv;

import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The meta a chunk is stored with, and the check that a loaded chunk is the one this cache
 * expects (KEYS.md lists the attributes). A chunk that fails the check is never scattered.
 */
final class KvChunkMeta {
  static final String CODEC = "tensor_codec";
  static final String DTYPE = "tensor_dtype";
  static final String SHAPE = "tensor_shape";
  static final String TOKENS = "kv_tokens";
  static final String LAYERS = "kv_layers";
  /** The only codec this adapter writes: raw C-order bytes. */
  static final String STABLE = "stable";

  private final KvLayout layout;
  private final boolean bundled;
  private final int layers;

  KvChunkMeta(KvLayout layout, boolean bundled, int layers) {
    this.layout = layout;
    this.bundled = bundled;
    this.layers = layers;
  }

  /** Layers in one artifact: all of them when bundled, else 1. */
  int layersPerArtifact() {
    return bundled ? layers : 1;
  }

  /** Payload bytes of one artifact of a chunk of {@code tokens} tokens. */
  long payloadBytes(int tokens) {
    return KvChunkLayout.payloadBytes(layout, layersPerArtifact(), tokens);
  }

  /** The meta of the artifact holding layers from {@code firstLayer} of a chunk of {@code tokens} tokens. */
  ArtifactMeta meta(int tokens, int firstLayer) {
    long[] shape = KvChunkLayout.shape(layout, bundled, layers, tokens);
    return ArtifactMeta.builder(ArtifactType.KV_BLOCKS)
        .attribute(CODEC, STABLE)
        .attribute(DTYPE, layout.dtype().label())
        .attribute(SHAPE, Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(",")))
        .attribute(TOKENS, Integer.toString(tokens))
        .attribute(LAYERS, firstLayer + ":" + (firstLayer + layersPerArtifact()))
        .build();
  }

  /**
   * Checks a loaded artifact against what the chunk should be.
   *
   * @return {@code null} if it matches, else what differs
   */
  String mismatch(ArtifactMeta found, long size, ArtifactMeta expected) {
    if (found.type() != ArtifactType.KV_BLOCKS) {
      return "type " + found.type() + " (expected: " + ArtifactType.KV_BLOCKS + ")";
    }
    for (String key : new String[] {CODEC, DTYPE, SHAPE, TOKENS, LAYERS}) {
      String want = expected.attribute(key);
      String got = found.attribute(key);
      if (!want.equals(got)) {
        return key + " " + (got == null ? "missing" : "\"" + got + "\"") + " (expected: \"" + want + "\")";
      }
    }
    long want = payloadBytes(Integer.parseInt(expected.attribute(TOKENS)));
    if (size != want) {
      return "payload of " + size + " bytes (expected: " + want + ")";
    }
    return null;
  }
}
