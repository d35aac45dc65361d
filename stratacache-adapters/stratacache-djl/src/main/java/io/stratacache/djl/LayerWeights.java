package io.stratacache.djl;

import ai.djl.ndarray.NDArray;
import java.util.EnumMap;
import java.util.Map;

/**
 * The float32 arrays of one decoder layer, by {@link LayerUnit}. Who owns the arrays (and the
 * memory under them) is up to the {@link WeightSource} that handed them out.
 */
public final class LayerWeights {
  private final int layer;
  private final EnumMap<LayerUnit, NDArray> arrays;

  /**
   * Weights of layer {@code layer}.
   *
   * @throws IllegalArgumentException if a unit of {@code config} is missing
   */
  public LayerWeights(ModelConfig config, int layer, Map<LayerUnit, NDArray> arrays) {
    this.layer = layer;
    this.arrays = new EnumMap<>(LayerUnit.class);
    for (LayerUnit u : LayerUnit.of(config)) {
      NDArray a = arrays.get(u);
      if (a == null) {
        throw new IllegalArgumentException("layer " + layer + ": no " + u.suffix() + " (expected: every unit of the layer)");
      }
      this.arrays.put(u, a);
    }
  }

  /** The layer index. */
  public int layer() {
    return layer;
  }

  /** The array of {@code unit}, or {@code null} for a bias the model does not have. */
  public NDArray get(LayerUnit unit) {
    return arrays.get(unit);
  }
}
