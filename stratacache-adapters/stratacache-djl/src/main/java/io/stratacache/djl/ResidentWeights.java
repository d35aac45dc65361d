package io.stratacache.djl;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * Every weight in native memory as float32, for the life of this object. Each tensor is decoded
 * once from the checkpoint into native memory this object owns, and the arrays wrap that memory
 * without a further copy ({@link NdSegments#wrap}); {@link #close()} closes the arrays, then
 * frees the memory.
 */
public final class ResidentWeights extends GlobalWeights {
  private final LayerWeights[] layers;

  private ResidentWeights(Checkpoint checkpoint) {
    super(checkpoint);
    boolean success = false;
    try {
      this.layers = new LayerWeights[config.numLayers()];
      for (int l = 0; l < layers.length; l++) {
        Map<LayerUnit, NDArray> arrays = new EnumMap<>(LayerUnit.class);
        for (LayerUnit u : LayerUnit.of(config)) {
          arrays.put(u, memory.load(checkpoint, u.tensorName(l), u.shape(config)));
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

  @Override
  public LayerWeights acquire(int layer) {
    return layers[java.util.Objects.checkIndex(layer, layers.length)];
  }

  @Override
  public void release(int layer) {}

}
