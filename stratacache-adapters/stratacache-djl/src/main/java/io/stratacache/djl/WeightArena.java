package io.stratacache.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Float32 arrays over native memory that this object owns: decoded once from a checkpoint,
 * wrapped without a further copy. {@link #close()} closes the arrays, then frees the memory.
 */
final class WeightArena implements AutoCloseable {
  private final Arena arena = Arena.ofShared();
  private final NDManager manager = DjlRuntime.newManager();

  /** The manager the arrays belong to; sub-managers of it may wrap other memory. */
  NDManager manager() {
    return manager;
  }

  /** Tensor {@code name} of {@code checkpoint}, decoded to float32 into memory of this arena. */
  NDArray load(Checkpoint checkpoint, String name, long[] shape) {
    MemorySegment seg = arena.allocate(new Shape(shape).size() * Float.BYTES, 64);
    checkpoint.readF32(name, shape, seg);
    return NdSegments.wrap(manager, seg, new Shape(shape), DataType.FLOAT32);
  }

  /** Global tensor {@code name} of {@code checkpoint}, with the shape its config implies. */
  NDArray loadGlobal(Checkpoint checkpoint, String name) {
    return load(checkpoint, name, checkpoint.globalShape(name));
  }

  @Override
  public void close() {
    manager.close();
    if (arena.scope().isAlive()) {
      arena.close();
    }
  }
}
