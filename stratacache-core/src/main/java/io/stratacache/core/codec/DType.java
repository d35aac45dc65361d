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
   * The type whose {@linkplain #safetensorsName() safetensors name} is {@code name}, in any case.
   *
   * @throws IllegalArgumentException naming the value and the known names
   */
  public static DType forName(String name) {
    String n = name.toUpperCase(Locale.ROOT);
    for (DType t : values()) {
      if (t.safetensorsName().equals(n)) {
        return t;
      }
    }
    throw new IllegalArgumentException("dtype \"" + name + "\" (expected: one of " + Arrays.toString(values()) + ")");
  }
}
