package io.stratacache.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Element types of tensors, named as safetensors names them ({@link #safetensorsName()}), with
 * their Hugging Face {@code torch_dtype} names ({@link #torchName()}) and, for the three floating
 * types a model computes in ({@link #F32}, {@link #F16}, {@link #BF16}), exact conversions to and
 * from binary32. Stored little-endian.
 */
public enum DType {
  /** IEEE 754 binary32. */
  F32(4, "float32"),
  /** IEEE 754 binary16. */
  F16(2, "float16"),
  /** bfloat16: the upper half of a binary32. */
  BF16(2, "bfloat16"),
  /** 8-bit float, 4 exponent and 3 mantissa bits. */
  F8_E4M3(1, "float8_e4m3fn"),
  /** 8-bit float, 5 exponent and 2 mantissa bits. */
  F8_E5M2(1, "float8_e5m2"),
  /** IEEE 754 binary64. */
  F64(8, "float64"),
  /** Signed 8-bit integer. */
  I8(1, "int8"),
  /** Unsigned 8-bit integer. */
  U8(1, "uint8"),
  /** Signed 16-bit integer. */
  I16(2, "int16"),
  /** Signed 32-bit integer. */
  I32(4, "int32"),
  /** Signed 64-bit integer. */
  I64(8, "int64"),
  /** One byte, 0 or 1. */
  BOOL(1, "bool");

  private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final int byteSize;
  private final String torchName;

  DType(int byteSize, String torchName) {
    this.byteSize = byteSize;
    this.torchName = torchName;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** The name safetensors headers and the {@code tensor_dtype} attribute use, e.g. {@code BF16}, {@code F8_E4M3}. */
  public String safetensorsName() {
    return name();
  }

  /** The Hugging Face {@code torch_dtype} name, e.g. {@code bfloat16}. */
  public String torchName() {
    return torchName;
  }

  /**
   * The type named {@code name}, in any case and with surrounding spaces ignored: a safetensors
   * name ({@code BF16}), a {@code torch_dtype} name ({@code bfloat16}, also {@code float} and
   * {@code half}), or a label with a leading {@code fp} for {@code F} ({@code fp16}, {@code
   * fp8_e4m3}).
   *
   * @throws IllegalArgumentException naming the value and the known names
   */
  public static DType forName(String name) {
    String n = Objects.requireNonNull(name, "name").strip().toUpperCase(Locale.ROOT);
    switch (n) {
      case "FLOAT" -> n = "F32";
      case "HALF" -> n = "F16";
      default -> {
        if (n.startsWith("FP")) {
          n = "F" + n.substring(2);
        }
      }
    }
    for (DType t : values()) {
      if (t.name().equals(n) || t.torchName.equalsIgnoreCase(n)) {
        return t;
      }
    }
    throw new IllegalArgumentException("dtype \"" + name + "\" (expected: one of " + Arrays.toString(values()) + ")");
  }

  /** Whether {@link #decodeToF32} and {@link #encodeFromF32} convert this type: {@link #F32}, {@link #F16}, {@link #BF16}. */
  public boolean convertsToF32() {
    return this == F32 || this == F16 || this == BF16;
  }

  /**
   * Decodes {@code count} little-endian elements of this type from {@code src} into native-order
   * binary32 values in {@code dst}. Exact (binary16 and bfloat16 widen losslessly).
   *
   * @throws IllegalArgumentException if this type does not {@linkplain #convertsToF32() convert}
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
      default -> throw noConversion();
    }
  }

  /**
   * Encodes {@code count} native-order binary32 values from {@code src} as little-endian elements
   * of this type in {@code dst}, rounding to nearest, ties to even.
   *
   * @throws IllegalArgumentException if this type does not {@linkplain #convertsToF32() convert}
   * @throws IndexOutOfBoundsException if either segment is too small
   */
  public void encodeFromF32(MemorySegment src, MemorySegment dst, long count) {
    if (!convertsToF32()) {
      throw noConversion();
    }
    for (long i = 0; i < count; i++) {
      float v = src.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
      switch (this) {
        case F32 -> dst.setAtIndex(F32_LE, i, v);
        case F16 -> dst.setAtIndex(U16_LE, i, Float.floatToFloat16(v));
        default -> dst.setAtIndex(U16_LE, i, toBf16(v));
      }
    }
  }

  private IllegalArgumentException noConversion() {
    return new IllegalArgumentException("dtype " + this + ": no float32 conversion (expected: F32, F16 or BF16)");
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
