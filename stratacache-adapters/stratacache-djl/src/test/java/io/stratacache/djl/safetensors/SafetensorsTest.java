package io.stratacache.djl.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.CodecException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  private static MemorySegment floats(Arena arena, float... values) {
    MemorySegment s = arena.allocate((long) values.length * 4, 8);
    for (int i = 0; i < values.length; i++) {
      s.setAtIndex(ValueLayout.JAVA_FLOAT, i, values[i]);
    }
    return s;
  }

  @Test
  void write_thenOpen_returnsEveryTensorAndTheMetadata() {
    Path file = dir.resolve("m.safetensors");
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment a = floats(arena, 1f, -2f, 3.5f, 4f, 5f, 6f);
      MemorySegment src = floats(arena, 1.5f, -0.25f, 65504f, 1e-3f);
      MemorySegment f16 = arena.allocate(8);
      TensorDType.F16.encodeFromF32(src, f16, 4);
      MemorySegment bf16 = arena.allocate(8);
      TensorDType.BF16.encodeFromF32(src, bf16, 4);
      new SafetensorsWriter()
          .metadata("format", "pt")
          .add("a", TensorDType.F32, new long[] {2, 3}, a)
          .add("h", TensorDType.F16, new long[] {4}, f16)
          .add("b", TensorDType.BF16, new long[] {2, 2}, bf16)
          .add("empty", TensorDType.F32, new long[] {0, 5}, arena.allocate(0))
          .write(file);

      try (SafetensorsFile f = SafetensorsFile.open(file)) {
        assertEquals(Map.of("format", "pt"), f.metadata());
        assertEquals(List.of("a", "h", "b", "empty"), List.copyOf(f.entries().keySet()));
        assertArrayEquals(new long[] {2, 3}, f.entry("a").shape());
        assertEquals(-1, MemorySegment.mismatch(a, 0, 24, f.bytes("a"), 0, 24));
        MemorySegment out = arena.allocate(16);
        TensorDType.F16.decodeToF32(f.bytes("h"), out, 4);
        assertArrayEquals(new float[] {1.5f, -0.25f, 65504f, Float.float16ToFloat(Float.floatToFloat16(1e-3f))}, out.toArray(ValueLayout.JAVA_FLOAT));
        TensorDType.BF16.decodeToF32(f.bytes("b"), out, 4);
        assertEquals(1.5f, out.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
        assertEquals(-0.25f, out.getAtIndex(ValueLayout.JAVA_FLOAT, 1));
        assertEquals(65536f, out.getAtIndex(ValueLayout.JAVA_FLOAT, 2), "65504 rounds to the nearest bfloat16");
        assertEquals(0, f.entry("empty").byteSize());
        assertTrue(f.bytes("a").isReadOnly());
      }
    }
  }

  @Test
  void write_alignsTheDataSectionTo8Bytes() throws IOException {
    Path file = dir.resolve("m.safetensors");
    try (Arena arena = Arena.ofConfined()) {
      new SafetensorsWriter().add("x", TensorDType.F32, new long[] {1}, floats(arena, 7f)).write(file);
    }
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    long n = b.getLong(0);
    assertEquals(0, (8 + n) % SafetensorsLayout.DATA_ALIGNMENT);
    assertEquals(7f, b.getFloat((int) (8 + n)));
  }

  @Test
  void bf16_roundsToNearestEven() {
    assertEquals((short) 0x3F80, TensorDType.toBf16(1.0f));
    // 1 + 2^-8 is exactly halfway between 1 and 1 + 2^-7: ties to even (1.0).
    assertEquals((short) 0x3F80, TensorDType.toBf16(Float.intBitsToFloat(0x3F808000)));
    // 1 + 3*2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties to even (1 + 2^-6).
    assertEquals((short) 0x3F82, TensorDType.toBf16(Float.intBitsToFloat(0x3F818000)));
    assertEquals((short) 0x3F81, TensorDType.toBf16(Float.intBitsToFloat(0x3F808001)));
    assertTrue(Float.isNaN(Float.intBitsToFloat(TensorDType.toBf16(Float.NaN) << 16)));
  }

  @Test
  void writer_refusesWrongSizeAndDuplicateNames() {
    try (Arena arena = Arena.ofConfined()) {
      SafetensorsWriter w = new SafetensorsWriter().add("x", TensorDType.F32, new long[] {2}, floats(arena, 1f, 2f));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> w.add("y", TensorDType.F32, new long[] {3}, floats(arena, 1f, 2f)));
      assertTrue(e.getMessage().contains("expected: 12"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> w.add("x", TensorDType.F32, new long[] {2}, floats(arena, 1f, 2f)));
      assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", TensorDType.F32, new long[] {2}, floats(arena, 1f, 2f)));
    }
  }

  private Path raw(String header, int dataBytes) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    Path p = dir.resolve("raw-" + System.nanoTime() + ".safetensors");
    Files.write(p, b.array());
    return p;
  }

  private void assertRefused(Path p, String fragment) {
    CodecException e = assertThrows(CodecException.class, () -> SafetensorsFile.open(p).close());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  @Test
  void open_refusesCorruptFiles() throws IOException {
    assertRefused(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4), "within the 4 data bytes");
    assertRefused(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "expected: 12 bytes");
    assertRefused(raw("{\"x\":{\"dtype\":\"I8\",\"shape\":[8],\"data_offsets\":[0,8]}}", 8), "tensor dtype");
    assertRefused(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlaps");
    assertRefused(raw("{\"x\": [1, 2", 0), "not valid JSON");
    assertRefused(raw("[]", 0), "expected: a JSON object");
    assertRefused(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0), "integers >= 0");

    Path huge = dir.resolve("huge.safetensors");
    Files.write(huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
    assertRefused(huge, "header length");
    Path tiny = dir.resolve("tiny.safetensors");
    Files.write(tiny, new byte[3]);
    assertRefused(tiny, "3 bytes");
  }

  @Test
  void bytes_afterClose_throwsAndUnknownTensorIsNamed() {
    Path file = dir.resolve("m.safetensors");
    MemorySegment slice;
    try (Arena arena = Arena.ofConfined()) {
      new SafetensorsWriter().add("x", TensorDType.F32, new long[] {1}, floats(arena, 7f)).write(file);
    }
    SafetensorsFile f = SafetensorsFile.open(file);
    CodecException e = assertThrows(CodecException.class, () -> f.bytes("nope"));
    assertTrue(e.getMessage().contains("no tensor nope"), e.getMessage());
    slice = f.bytes("x");
    assertFalse(f.metadata().containsKey("format"));
    f.close();
    f.close();
    assertThrows(IllegalStateException.class, () -> slice.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
  }
}
