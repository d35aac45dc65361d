package io.stratacache.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.stratacache.core.tensor.DType;
import io.stratacache.params.ParamClient;
import io.stratacache.params.ParamKey;
import io.stratacache.params.ParamTensor;
import io.stratacache.params.Prefetcher;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Decoder layers streamed from the storage plane; only the embedding, final norm and output head
 * stay resident.
 *
 * <p>Design note. {@link #upload} stores each layer tensor as float32 parameter chunks
 * ({@link ParamClient#putTensor}). A forward pass ({@link #beginPass()}) starts a
 * {@link Prefetcher} pass over the layers in order: while layer {@code l} computes, the loader
 * copies the next {@code depth} layers from whichever tier holds them into the bounded staging
 * pool. {@link #acquire} wraps the staged bytes as arrays without a copy, in a manager of their
 * own; {@link #release} closes those arrays first and only then hands the staging memory back,
 * so no array ever outlives the bytes under it. Resident weight memory is thus the pool's
 * capacity, whatever the model's depth.
 */
public final class OffloadedWeights extends GlobalWeights {
  /** The dtype label of stored chunks (the model computes in float32). */
  public static final String DTYPE = DType.F32.safetensorsName();

  private final Prefetcher prefetcher;
  private final List<List<ParamTensor>> plan;
  private final List<LayerUnit> units;
  private final NDManager[] layerManagers;
  private Prefetcher.Pass pass;

  /**
   * Weights whose globals come from {@code checkpoint} and whose layers stream through
   * {@code prefetcher} as {@code plan} (from {@link #upload} or {@link #plan}) names them.
   *
   * @throws IllegalArgumentException if {@code plan} does not have one group per layer
   */
  public OffloadedWeights(Checkpoint checkpoint, Prefetcher prefetcher, List<List<ParamTensor>> plan) {
    Objects.requireNonNull(prefetcher, "prefetcher");
    ModelConfig c = checkpoint.config();
    List<LayerUnit> layerUnits = LayerUnit.of(c);
    if (plan.size() != c.numLayers()) {
      throw new IllegalArgumentException("plan: " + plan.size() + " groups (expected: one per layer, " + c.numLayers() + ")");
    }
    for (int l = 0; l < plan.size(); l++) {
      if (plan.get(l).size() != layerUnits.size()) {
        throw new IllegalArgumentException("plan: layer " + l + " has " + plan.get(l).size() + " tensors (expected: " + layerUnits.size() + ")");
      }
    }
    super(checkpoint); // checked first, so a bad plan allocates nothing
    this.prefetcher = prefetcher;
    this.plan = List.copyOf(plan);
    this.units = layerUnits;
    this.layerManagers = new NDManager[config.numLayers()];
  }

  /**
   * The chunk keys of every layer tensor of a model of {@code config} stored as {@link #upload}
   * stores it: group {@code l} holds layer {@code l}'s {@link LayerUnit}s in order.
   */
  public static List<List<ParamTensor>> plan(ModelConfig config, String model, String revision, long chunkBytes) {
    List<List<ParamTensor>> plan = new ArrayList<>();
    for (int l = 0; l < config.numLayers(); l++) {
      List<ParamTensor> group = new ArrayList<>();
      for (LayerUnit u : LayerUnit.of(config)) {
        group.add(ParamTensor.of(new ParamKey(model, revision, l, u.suffix(), DTYPE, 0), u.elementCount(config) * Float.BYTES, chunkBytes));
      }
      plan.add(List.copyOf(group));
    }
    return List.copyOf(plan);
  }

  /**
   * Stores every layer tensor of {@code checkpoint} in the plane as float32 chunks of at most
   * {@code chunkBytes}, and returns the plan that reads them back.
   */
  public static List<List<ParamTensor>> upload(Checkpoint checkpoint, ParamClient client, String model, String revision, long chunkBytes) {
    ModelConfig c = checkpoint.config();
    List<List<ParamTensor>> plan = new ArrayList<>();
    for (int l = 0; l < c.numLayers(); l++) {
      List<ParamTensor> group = new ArrayList<>();
      for (LayerUnit u : LayerUnit.of(c)) {
        long[] shape = u.shape(c);
        try (Arena scratch = Arena.ofConfined()) {
          MemorySegment f32 = scratch.allocate(u.elementCount(c) * Float.BYTES, 64);
          checkpoint.readF32(u.tensorName(l), shape, f32);
          group.add(client.putTensor(new ParamKey(model, revision, l, u.suffix(), DTYPE, 0), shape, f32, chunkBytes));
        }
      }
      plan.add(List.copyOf(group));
    }
    return List.copyOf(plan);
  }

  /** The prefetcher layers stream through. */
  public Prefetcher prefetcher() {
    return prefetcher;
  }

  @Override
  public void beginPass() {
    endPass();
    pass = prefetcher.start(plan);
  }

  @Override
  public LayerWeights acquire(int layer) {
    if (pass == null) {
      beginPass();
    }
    Prefetcher.StagedGroup staged = pass.await(layer);
    NDManager m = memory.manager().newSubManager();
    layerManagers[layer] = m;
    Map<LayerUnit, NDArray> arrays = new EnumMap<>(LayerUnit.class);
    for (int i = 0; i < units.size(); i++) {
      LayerUnit u = units.get(i);
      arrays.put(u, NdSegments.wrap(m, staged.tensor(i), new Shape(u.shape(config)), DataType.FLOAT32));
    }
    return new LayerWeights(config, layer, arrays);
  }

  @Override
  public void release(int layer) {
    NDManager m = layerManagers[layer];
    if (m != null) {
      layerManagers[layer] = null;
      m.close();
    }
    if (pass != null) {
      pass.release(layer);
      if (layer == config.numLayers() - 1) {
        endPass();
      }
    }
  }

  private void endPass() {
    for (int l = 0; l < layerManagers.length; l++) {
      if (layerManagers[l] != null) {
        layerManagers[l].close();
        layerManagers[l] = null;
      }
    }
    if (pass != null) {
      pass.close();
      pass = null;
    }
  }

  /** Ends any pass (its arrays, then its staging), then frees the resident globals. */
  @Override
  public void close() {
    endPass();
    super.close();
  }
}
