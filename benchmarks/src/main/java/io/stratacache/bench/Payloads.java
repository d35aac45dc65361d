package io.stratacache.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Native buffers for benchmarks, pre-touched so that no first-touch page fault lands in a
 * measurement.
 */
final class Payloads {
  private Payloads() {}

  /** A page-aligned segment of {@code size} bytes, zeroed (so every page is already mapped). */
  static MemorySegment pretouched(Arena arena, long size) {
    return arena.allocate(size, 4096);
  }

  /**
   * A page-aligned segment of {@code size} bytes (a multiple of 8) holding a fixed pattern in
   * which no two longs are equal, so a copy that drops or repeats part of it shows.
   */
  static MemorySegment patterned(Arena arena, long size) {
    MemorySegment s = pretouched(arena, size);
    for (long i = 0; i < size; i += 8) {
      s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, i * 0x9E3779B97F4A7C15L);
    }
    return s;
  }
}
