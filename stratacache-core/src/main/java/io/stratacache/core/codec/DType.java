package io.stratacache.core.codec;

import java.util.Arrays;
import java.util.Locale;

/** Element types of tensors, named as safetensors names them. */
public enum DType {
  F32(4),
  F16(2),
  BF16(2),
  F8_E4M3(1),
  F8_E5M2(1),
  F64(8),
  I8(1),
  U8(1),
  I16(2),
  I32(4),
  I64(8),
  BOOL(1);

  private final int byteSize;

  DType(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** The name safetensors headers use, e.g. {@code BF16}, {@code F8_E4M3}. */
  public String safetensorsName() {
    return name();
  }

  /**
   * The type whose {@linkplain #safetensorsName() safetensors name} is {@code name}, in any case;
   * a leading {@code fp} stands for {@code F}, so the labels {@code fp16}, {@code fp32} and {@code
   * fp8_e4m3} name {@link #F16}, {@link #F32} and {@link #F8_E4M3}.
   *
   * @throws IllegalArgumentException naming the value and the known names
   */
  public static DType forName(String name) {
    String n = name.toUpperCase(Locale.ROOT);
    if (n.startsWith("FP")) {
      n = "F" + n.substring(2);
    }
    for (DType t : values()) {
      if (t.safetensorsName().equals(n)) {
        return t;
      }
    }
    throw new IllegalArgumentException("dtype \"" + name + "\" (expected: one of " + Arrays.toString(values()) + ")");
  }
}
