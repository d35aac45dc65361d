package io.stratacache.djl.safetensors;

import ai.djl.ndarray.types.DataType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;

/** Element types this project reads and writes in safetensors files and tensor payloads. */
public enum TensorDType {
  /** IEEE 754 binary32. */
  F32(4, DataType.FLOAT32),
  /** IEEE 754 binary16. */
  F16(2, DataType.FLOAT16),
  /** bfloat16: the upper half of a binary32. */
  BF16(2, DataType.BFLOAT16);

  private final int byteSize;
  private final DataType djl;

  TensorDType(int byteSize, DataType djl) {
    this.byteSize = byteSize;
    this.djl = djl;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** The matching DJL data type. */
  public DataType djl() {
    return djl;
  }

  /**
   * Parses a safetensors dtype name ({@code F32}, {@code F16}, {@code BF16}) or a Hugging Face
   * {@code torch_dtype} ({@code float32}, {@code float16}, {@code bfloat16}), case-insensitively.
   *
   * @throws IllegalArgumentException naming the value and the accepted names
   */
  public static TensorDType parse(String name) {
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "f32", "float32", "float" -> F32;
      case "f16", "float16", "half" -> F16;
      case "bf16", "bfloat16" -> BF16;
      default ->
          throw new IllegalArgumentException(
              "tensor dtype: \"" + name + "\" (expected one of " + Arrays.toString(values())
                  + " or float32, float16, bfloat16)");
    };
  }

  /** The Hugging Face {@code torch_dtype} name. */
  public String torchName() {
    return switch (this) {
      case F32 -> "float32";
      case F16 -> "float16";
      case BF16 -> "bfloat16";
    };
  }

  private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /**
   * Decodes {@code count} little-endian elements of this type from {@code src} into native-order
   * binary32 values in {@code dst}. Exact for every type (binary16 and bfloat16 widen losslessly).
   *
   * @throws IndexOutOfBoundsException if either segment is too small
   */
  public void decodeToF32(MemorySegment src, MemorySegment dst, long count) {
    switch (this) {
      case F32 -> {
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
          MemorySegment.copy(src, 0, dst, 0, count * 4);
        } else {
          for (long i = 0; i < count; i++) {
            dst.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, src.getAtIndex(F32_LE, i));
          }
        }
      }
      case F16 -> {
        for (long i = 0; i < count; i++) {
          dst.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, Float.float16ToFloat(src.getAtIndex(U16_LE, i)));
        }
      }
      case BF16 -> {
        for (long i = 0; i < count; i++) {
          dst.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, Float.intBitsToFloat((src.getAtIndex(U16_LE, i) & 0xFFFF) << 16));
        }
      }
    }
  }

  /**
   * Encodes {@code count} native-order binary32 values from {@code src} as little-endian elements
   * of this type in {@code dst}, rounding to nearest, ties to even.
   *
   * @throws IndexOutOfBoundsException if either segment is too small
   */
  public void encodeFromF32(MemorySegment src, MemorySegment dst, long count) {
    for (long i = 0; i < count; i++) {
      float v = src.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
      switch (this) {
        case F32 -> dst.setAtIndex(F32_LE, i, v);
        case F16 -> dst.setAtIndex(U16_LE, i, Float.floatToFloat16(v));
        case BF16 -> dst.setAtIndex(U16_LE, i, toBf16(v));
      }
    }
  }

  /** The bfloat16 nearest to {@code v} (ties to even; NaN stays NaN). */
  static short toBf16(float v) {
    int bits = Float.floatToRawIntBits(v);
    if (Float.isNaN(v)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }
}
