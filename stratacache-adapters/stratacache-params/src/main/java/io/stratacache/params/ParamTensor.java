package io.stratacache.params;

import java.util.List;

/**
 * A parameter tensor as stored in the plane: its chunks in order and its total size. Chunks are
 * laid end to end to rebuild the tensor's bytes.
 *
 * @param chunks the chunk keys, chunk 0 first
 * @param byteSize the tensor's size in bytes (the sum of its chunks' payloads)
 */
public record ParamTensor(List<ParamKey> chunks, long byteSize) {
  public ParamTensor {
    chunks = List.copyOf(chunks);
    if (chunks.isEmpty()) {
      throw new IllegalArgumentException("chunks: none (expected: at least one)");
    }
    if (byteSize <= 0) {
      throw new IllegalArgumentException("byteSize: " + byteSize + " (expected: > 0)");
    }
  }

  /** Chunk keys of a tensor of {@code byteSize} bytes split as {@link ParamClient#putTensor} splits it. */
  public static ParamTensor of(ParamKey first, long byteSize, long chunkBytes) {
    ParamClient.checkChunkBytes(chunkBytes);
    int n = Math.toIntExact((byteSize + chunkBytes - 1) / chunkBytes);
    ParamKey[] keys = new ParamKey[n];
    for (int i = 0; i < n; i++) {
      keys[i] = first.withChunk(i);
    }
    return new ParamTensor(List.of(keys), byteSize);
  }
}
