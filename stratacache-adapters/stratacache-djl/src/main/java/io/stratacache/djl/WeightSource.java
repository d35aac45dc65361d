package io.stratacache.djl;

import ai.djl.ndarray.NDArray;

/**
 * Where a {@link LlamaModel} gets its weights. The embedding, final norm and output head are
 * always at hand; decoder layers are acquired one at a time, in the order the forward pass needs
 * them, and released right after, which lets a source stream them from elsewhere
 * ({@link ResidentWeights} keeps everything in memory).
 *
 * <p>A forward pass calls {@link #beginPass()}, then {@code acquire(0)}, {@code release(0)},
 * {@code acquire(1)}, ... in order; arrays of a layer are valid from its acquire to its release.
 * One pass at a time.
 */
public interface WeightSource extends AutoCloseable {
  /** The model's shape. */
  ModelConfig config();

  /** {@code [vocab, hidden]}. */
  NDArray embedding();

  /** {@code [hidden]}. */
  NDArray finalNorm();

  /** {@code [vocab, hidden]}; the embedding itself when embeddings are tied. */
  NDArray lmHead();

  /** A forward pass over layers {@code 0 .. numLayers-1} starts. */
  default void beginPass() {}

  /** The weights of {@code layer}, waiting for them if they are still being loaded. */
  LayerWeights acquire(int layer);

  /** The pass is done with {@code layer}; its arrays may be freed. */
  void release(int layer);

  /** Frees every array and the memory under it. */
  @Override
  void close();
}
