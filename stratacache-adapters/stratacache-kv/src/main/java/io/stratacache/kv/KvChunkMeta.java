package io.stratacache.kv;

import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.CodecException;
import io.stratacache.core.tensor.TensorCodec;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * How a chunk is written and checked: a {@code stable} tensor ({@link TensorCodec}) of type
 * {@link ArtifactType#KV_BLOCKS} with the chunk's token count and layer range beside its dtype and
 * shape (KEYS.md lists the attributes). A loaded chunk that does not match in every respect is
 * never scattered.
 */
final class KvChunkMeta {
  static final String TOKENS = "kv_tokens";
  static final String LAYERS = "kv_layers";

  private final KvLayout layout;
  private final boolean bundled;
  private final int layers;
  private final TensorCodec codec;

  KvChunkMeta(KvLayout layout, boolean bundled, int layers, TensorCodec codec) {
    this.layout = layout;
    this.bundled = bundled;
    this.layers = layers;
    this.codec = codec;
  }

  /** Layers in one artifact: all of them when bundled, else 1. */
  int layersPerArtifact() {
    return bundled ? layers : 1;
  }

  private long[] shape(int tokens) {
    return KvChunkLayout.shape(layout, bundled, layers, tokens);
  }

  /** Bytes of the tensor data of one artifact of a chunk of {@code tokens} tokens. */
  long dataBytes(int tokens) {
    return KvChunkLayout.payloadBytes(layout, layersPerArtifact(), tokens);
  }

  /** Bytes of the payload of one artifact of a chunk of {@code tokens} tokens, header included. */
  long payloadBytes(int tokens) {
    return codec.encodedSize(layout.dtype(), shape(tokens));
  }

  /** The meta of the artifact holding layers from {@code firstLayer} of a chunk of {@code tokens} tokens. */
  ArtifactMeta meta(int tokens, int firstLayer) {
    return codec.describe(ArtifactMeta.builder(ArtifactType.KV_BLOCKS), layout.dtype(), shape(tokens))
        .attribute(TOKENS, Integer.toString(tokens))
        .attribute(LAYERS, firstLayer + ":" + (firstLayer + layersPerArtifact()))
        .build();
  }

  /**
   * Writes the codec's header, if any, into a payload of {@link #payloadBytes} bytes and returns
   * the slice the tensor data goes into.
   */
  MemorySegment dataOf(MemorySegment payload, int tokens) {
    return codec.writeHeader(payload, layout.dtype(), shape(tokens));
  }

  /**
   * Checks a loaded artifact against what the chunk of {@code tokens} tokens from layer {@code
   * firstLayer} must be, and returns its tensor data (a slice of {@code payload}).
   *
   * @throws CodecException naming the first thing that differs
   */
  MemorySegment check(ArtifactMeta found, MemorySegment payload, int tokens, int firstLayer) {
    if (found.type() != ArtifactType.KV_BLOCKS) {
      throw new CodecException("type " + found.type() + " (expected: " + ArtifactType.KV_BLOCKS + ")");
    }
    TensorCodec.Tensor tensor = TensorCodec.decode(found, payload);
    if (tensor.dtype() != layout.dtype()) {
      throw mismatch(found, TensorCodec.ATTR_DTYPE, layout.dtype().safetensorsName());
    }
    long[] shape = shape(tokens);
    if (!Arrays.equals(tensor.shape(), shape)) {
      throw mismatch(found, TensorCodec.ATTR_SHAPE, TensorCodec.formatShape(shape));
    }
    expect(found, TOKENS, Integer.toString(tokens));
    expect(found, LAYERS, firstLayer + ":" + (firstLayer + layersPerArtifact()));
    return tensor.data();
  }

  private static void expect(ArtifactMeta found, String key, String want) {
    if (!want.equals(found.attribute(key))) {
      throw mismatch(found, key, want);
    }
  }

  private static CodecException mismatch(ArtifactMeta found, String key, String want) {
    String got = found.attribute(key);
    return new CodecException(key + " " + (got == null ? "missing" : "\"" + got + "\"") + " (expected: " + want + ")");
  }
}
