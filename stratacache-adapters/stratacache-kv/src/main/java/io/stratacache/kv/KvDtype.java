package io.stratacache.kv;

import java.util.Arrays;
import java.util.Locale;

/**
 * Element type of a KV cache. Gather and scatter only need {@link #byteSize()}; the name is part of
 * the {@link KvNamespace} (so caches of different dtypes never share a chunk) and of each chunk's
 * {@code tensor_dtype} attribute.
 */
public enum KvDtype {
  /** bfloat16, 2 bytes. */
  BF16("bf16", 2),
  /** IEEE half precision, 2 bytes. */
  FP16("fp16", 2),
  /** IEEE single precision, 4 bytes. */
  FP32("fp32", 4),
  /** 8-bit float, 4 exponent and 3 mantissa bits (what inference engines call {@code fp8}). */
  FP8_E4M3("fp8_e4m3", 1),
  /** 8-bit float, 5 exponent and 2 mantissa bits. */
  FP8_E5M2("fp8_e5m2", 1);

  private final String label;
  private final int byteSize;

  KvDtype(String label, int byteSize) {
    this.label = label;
    this.byteSize = byteSize;
  }

  /** The lower-case name used in keys and metadata, e.g. {@code bf16}. */
  public String label() {
    return label;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /**
   * Parses a label ({@code bf16}, {@code fp16}, {@code fp32}, {@code fp8_e4m3}, {@code fp8_e5m2}),
   * case-insensitively; {@code fp8} means {@code fp8_e4m3}, and the long names {@code bfloat16},
   * {@code float16}, {@code half}, {@code float32} and {@code float} are accepted too.
   *
   * @throws IllegalArgumentException naming the value and the accepted labels
   */
  public static KvDtype parse(String name) {
    String s = name.trim().toLowerCase(Locale.ROOT);
    return switch (s) {
      case "bf16", "bfloat16" -> BF16;
      case "fp16", "float16", "half" -> FP16;
      case "fp32", "float32", "float" -> FP32;
      case "fp8", "fp8_e4m3" -> FP8_E4M3;
      case "fp8_e5m2" -> FP8_E5M2;
      default -> throw new IllegalArgumentException(
          "kv dtype: \"" + name + "\" (expected one of "
              + Arrays.toString(Arrays.stream(values()).map(KvDtype::label).toArray()) + " or fp8)");
    };
  }

  @Override
  public String toString() {
    return label;
  }
}
