package io.stratacache.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * Every weight in native memory as float32, for the life of this object. Each tensor is decoded
 * once from the checkpoint into memory of this object's arena, and the arrays wrap that memory
 * without a further copy ({@link NdSegments#wrap}); {@link #close()} closes the arrays, then the
 * arena.
 */
public final class ResidentWeights implements WeightSource {
  private final ModelConfig config;
  private final Arena arena = Arena.ofShared();
  private final NDManager manager = DjlRuntime.newManager();
  private final NDArray embedding;
  private final NDArray finalNorm;
  private final NDArray lmHead;
  private final LayerWeights[] layers;

  private ResidentWeights(Checkpoint checkpoint) {
    this.config = checkpoint.config();
    boolean success = false;
    try {
      this.embedding = global(checkpoint, LayerUnit.EMBED_TOKENS);
      this.finalNorm = global(checkpoint, LayerUnit.FINAL_NORM);
      this.lmHead = config.tieWordEmbeddings() ? embedding : global(checkpoint, LayerUnit.LM_HEAD);
      this.layers = new LayerWeights[config.numLayers()];
      for (int l = 0; l < layers.length; l++) {
        Map<LayerUnit, NDArray> arrays = new EnumMap<>(LayerUnit.class);
        for (LayerUnit u : LayerUnit.of(config)) {
          arrays.put(u, load(checkpoint, u.tensorName(l), u.shape(config)));
        }
        layers[l] = new LayerWeights(config, l, arrays);
      }
      success = true;
    } finally {
      if (!success) {
        close();
      }
    }
  }

  /**
   * Loads every weight of the checkpoint in {@code dir}.
   *
   * @throws io.stratacache.core.ConfigException if its config is invalid
   * @throws io.stratacache.core.CodecException if a tensor is missing, malformed or misshapen
   */
  public static ResidentWeights load(Path dir) {
    try (Checkpoint c = Checkpoint.open(dir)) {
      return new ResidentWeights(c);
    }
  }

  /** Loads every weight of an open checkpoint (which stays open). */
  public static ResidentWeights load(Checkpoint checkpoint) {
    return new ResidentWeights(checkpoint);
  }

  private NDArray global(Checkpoint c, String name) {
    return load(c, name, c.globalShape(name));
  }

  private NDArray load(Checkpoint c, String name, long[] shape) {
    MemorySegment seg = arena.allocate(new Shape(shape).size() * Float.BYTES, 64);
    c.readF32(name, shape, seg);
    return NdSegments.wrap(manager, seg, new Shape(shape), DataType.FLOAT32);
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public NDArray embedding() {
    return embedding;
  }

  @Override
  public NDArray finalNorm() {
    return finalNorm;
  }

  @Override
  public NDArray lmHead() {
    return lmHead;
  }

  @Override
  public LayerWeights acquire(int layer) {
    return layers[java.util.Objects.checkIndex(layer, layers.length)];
  }

  @Override
  public void release(int layer) {}

  /** Closes the arrays, then frees their memory. */
  @Override
  public void close() {
    manager.close();
    if (arena.scope().isAlive()) {
      arena.close();
    }
  }
}
