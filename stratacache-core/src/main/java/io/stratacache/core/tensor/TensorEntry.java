package io.stratacache.core.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor of a safetensors file: its name, dtype, shape and byte range in the data section.
 *
 * @param name the tensor's name
 * @param dtype the element type
 * @param shape the dimensions, C order; empty for a scalar
 * @param begin first byte, relative to the data section
 * @param end one past the last byte, relative to the data section
 */
public record TensorEntry(String name, DType dtype, long[] shape, long begin, long end) {
  public TensorEntry {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    shape = shape.clone();
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape) + " (expected: dimensions >= 0)");
      }
    }
    long size = TensorCodec.dataSize(dtype, shape);
    if (begin < 0 || end - begin != size) {
      throw new IllegalArgumentException(
          "tensor " + name + ": data_offsets [" + begin + ", " + end + "] for " + dtype + " " + Arrays.toString(shape)
              + " (expected: " + size + " bytes from an offset >= 0)");
    }
  }

  /** The dimensions; a fresh copy. */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements. */
  public long elementCount() {
    return byteSize() / dtype.byteSize();
  }

  /** Size in bytes. */
  public long byteSize() {
    return end - begin;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorEntry e && name.equals(e.name) && dtype == e.dtype && Arrays.equals(shape, e.shape)
        && begin == e.begin && end == e.end;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
  }

  @Override
  public String toString() {
    return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
  }
}
