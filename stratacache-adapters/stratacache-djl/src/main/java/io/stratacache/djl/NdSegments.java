package io.stratacache.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Moves tensors between DJL {@link NDArray}s (PyTorch engine, CPU) and {@link MemorySegment}s.
 *
 * <p>Design note, which way bytes move and who owns them:
 *
 * <ul>
 *   <li>{@link #wrap} shares: the PyTorch engine turns a direct {@code ByteBuffer} into a tensor
 *       with {@code torch::from_blob}, so the array reads and writes the segment's memory with no
 *       copy. The array does <em>not</em> own that memory: the segment's arena must stay open
 *       until the array (and every view PyTorch derived from it) is closed. Closing the arena
 *       first leaves the tensor pointing at freed memory, which no check catches, so callers
 *       close arrays before arenas, always.
 *   <li>{@link #view} shares the other way: a contiguous CPU tensor's storage seen as a segment
 *       ({@code NDArray.toByteBuffer(true)} hands out a direct buffer over the tensor's data).
 *       The segment is valid only while the array is open; it cannot detect the array's close.
 *   <li>{@link #copyTo} copies once, for results that must outlive the array.
 * </ul>
 *
 * Heap segments always cost a copy in DJL ({@code create} copies heap buffers into a fresh direct
 * buffer); {@link #wrap} refuses them so that a copy is never silent.
 */
public final class NdSegments {
  private NdSegments() {}

  /**
   * An array of {@code shape} and {@code dtype} over {@code segment}'s memory, without copying.
   * Writes to the array change the segment and vice versa. The caller keeps the segment alive
   * until the array is closed; if the segment is read-only the array must not be written.
   *
   * @throws IllegalArgumentException if the segment is not native, not aligned to the element
   *     size, or not exactly the size of {@code shape} in {@code dtype}
   */
  public static NDArray wrap(NDManager manager, MemorySegment segment, Shape shape, DataType dtype) {
    long expected = shape.size() * dtype.getNumOfBytes();
    if (!segment.isNative()) {
      throw new IllegalArgumentException("segment: heap segment of " + segment.byteSize() + " bytes (expected: native memory)");
    }
    if (segment.byteSize() != expected) {
      throw new IllegalArgumentException(
          "segment: " + segment.byteSize() + " bytes (expected: " + expected + " for " + dtype + " " + shape + ")");
    }
    if (segment.address() % dtype.getNumOfBytes() != 0) {
      throw new IllegalArgumentException(
          "segment: address 0x" + Long.toHexString(segment.address()) + " (expected: aligned to " + dtype.getNumOfBytes() + ")");
    }
    ByteBuffer buffer = segment.asByteBuffer();
    return manager.create(buffer, shape, dtype);
  }

  /**
   * The storage of {@code array} as a segment, without copying. Valid only while the array is
   * open; writes through the segment change the array. A non-contiguous array (a transposed view)
   * is first made contiguous by PyTorch: that copy belongs to the array's manager and lives until
   * the manager is closed, so callers view only arrays they know to be dense.
   *
   * @throws IllegalArgumentException if the array is not a PyTorch CPU array
   */
  public static MemorySegment view(NDArray array) {
    if (!(array instanceof PtNDArray) || !array.getDevice().equals(ai.djl.Device.cpu())) {
      throw new IllegalArgumentException("array: " + array.getClass().getSimpleName() + " on " + array.getDevice() + " (expected: a PyTorch CPU array)");
    }
    MemorySegment s = MemorySegment.ofBuffer(array.toByteBuffer(true));
    long expected = array.size() * array.getDataType().getNumOfBytes();
    return s.byteSize() == expected ? s : s.asSlice(0, expected);
  }

  /**
   * Copies the bytes of {@code array} (C order, native byte order) into {@code dst} at offset 0;
   * one copy.
   *
   * @throws IllegalArgumentException if {@code dst} is smaller than the array
   */
  public static void copyTo(NDArray array, MemorySegment dst) {
    long size = array.size() * array.getDataType().getNumOfBytes();
    if (dst.byteSize() < size) {
      throw new IllegalArgumentException("dst: " + dst.byteSize() + " bytes (expected: at least " + size + ")");
    }
    MemorySegment.copy(view(array), 0, dst, 0, size);
  }
}
