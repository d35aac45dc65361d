package io.stratacache.core.tensor;

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
      DType.F16.encodeFromF32(src, f16, 4);
      MemorySegment bf16 = arena.allocate(8);
      DType.BF16.encodeFromF32(src, bf16, 4);
      new SafetensorsWriter()
          .metadata("format", "pt")
          .add("a", DType.F32, new long[] {2, 3}, a)
          .add("h", DType.F16, new long[] {4}, f16)
          .add("b", DType.BF16, new long[] {2, 2}, bf16)
          .add("empty", DType.F32, new long[] {0, 5}, arena.allocate(0))
          .write(file);

      try (SafetensorsFile f = SafetensorsFile.open(file)) {
        assertEquals(Map.of("format", "pt"), f.metadata());
        assertEquals(List.of("a", "h", "b", "empty"), List.copyOf(f.entries().keySet()));
        assertArrayEquals(new long[] {2, 3}, f.entry("a").shape());
        assertEquals(-1, MemorySegment.mismatch(a, 0, 24, f.bytes("a"), 0, 24));
        MemorySegment out = arena.allocate(16);
        DType.F16.decodeToF32(f.bytes("h"), out, 4);
        assertArrayEquals(new float[] {1.5f, -0.25f, 65504f, Float.float16ToFloat(Float.floatToFloat16(1e-3f))}, out.toArray(ValueLayout.JAVA_FLOAT));
        DType.BF16.decodeToF32(f.bytes("b"), out, 4);
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
      new SafetensorsWriter().add("x", DType.F32, new long[] {1}, floats(arena, 7f)).write(file);
    }
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    long n = b.getLong(0);
    assertEquals(0, (8 + n) % SafetensorsLayout.ALIGNMENT);
    assertEquals(7f, b.getFloat((int) (8 + n)));
  }

  @Test
  void bf16_roundsToNearestEven() {
    assertEquals((short) 0x3F80, DType.toBf16(1.0f));
    // 1 + 2^-8 is exactly halfway between 1 and 1 + 2^-7: ties to even (1.0).
    assertEquals((short) 0x3F80, DType.toBf16(Float.intBitsToFloat(0x3F808000)));
    // 1 + 3*2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties to even (1 + 2^-6).
    assertEquals((short) 0x3F82, DType.toBf16(Float.intBitsToFloat(0x3F818000)));
    assertEquals((short) 0x3F81, DType.toBf16(Float.intBitsToFloat(0x3F808001)));
    assertTrue(Float.isNaN(Float.intBitsToFloat(DType.toBf16(Float.NaN) << 16)));
  }

  @Test
  void writer_refusesWrongSizeAndDuplicateNames() {
    try (Arena arena = Arena.ofConfined()) {
      SafetensorsWriter w = new SafetensorsWriter().add("x", DType.F32, new long[] {2}, floats(arena, 1f, 2f));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> w.add("y", DType.F32, new long[] {3}, floats(arena, 1f, 2f)));
      assertTrue(e.getMessage().contains("expected: 12"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> w.add("x", DType.F32, new long[] {2}, floats(arena, 1f, 2f)));
      assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", DType.F32, new long[] {2}, floats(arena, 1f, 2f)));
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
    assertRefused(raw("{\"x\":{\"dtype\":\"Q4\",\"shape\":[8],\"data_offsets\":[0,8]}}", 8), "tensor x: dtype \"Q4\" (expected: one of [F32,");
    assertRefused(raw("{\"x\":{\"dtype\":\"bf16\",\"shape\":[4],\"data_offsets\":[0,8]}}", 8), "tensor x: dtype \"bf16\"");
    assertRefused(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlaps");
    assertRefused(raw("{\"x\": [1, 2", 0), "not valid JSON");
    assertRefused(raw("[]", 0), "expected: a JSON object");
    assertRefused(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0), "whole numbers, 0 or more");

    Path huge = dir.resolve("huge.safetensors");
    Files.write(huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
    assertRefused(huge, "header length");
    Path tiny = dir.resolve("tiny.safetensors");
    Files.write(tiny, new byte[3]);
    assertRefused(tiny, "3 bytes");
  }

  @Test
  void open_headerSizeLimit_isRefusedNamingTheLimit() throws IOException {
    long limit = SafetensorsLayout.MAX_HEADER_BYTES;
    Path over = dir.resolve("over.safetensors");
    Files.write(over, ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(limit + 1).array());
    CodecException e = assertThrows(CodecException.class, () -> SafetensorsFile.open(over).close());
    assertEquals(over + ": header length 100000001 (expected: 2 to 100000000, the header size limit)", e.getMessage());
    Path at = dir.resolve("at.safetensors");
    Files.write(at, ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(limit).array());
    e = assertThrows(CodecException.class, () -> SafetensorsFile.open(at).close());
    assertEquals(at + ": header length 100000000 runs past the end (expected: at most 56, the bytes after the length)", e.getMessage());
  }

  @Test
  void open_duplicateKeys_areRefusedNamingTheKey() throws IOException {
    String x = "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
    Path twice = raw("{" + x + "," + x.replace("[0,4]", "[4,8]") + "}", 8);
    CodecException e = assertThrows(CodecException.class, () -> SafetensorsFile.open(twice).close());
    assertEquals(twice + ": header key \"x\" appears twice (expected: each key once)", e.getMessage());
    Path inner = raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    e = assertThrows(CodecException.class, () -> SafetensorsFile.open(inner).close());
    assertEquals(inner + ": header key \"x.shape\" appears twice (expected: each key once)", e.getMessage());
    Path meta = raw("{\"__metadata__\":{\"format\":\"pt\",\"format\":\"np\"}," + x + "}", 4);
    e = assertThrows(CodecException.class, () -> SafetensorsFile.open(meta).close());
    assertEquals(meta + ": header key \"__metadata__.format\" appears twice (expected: each key once)", e.getMessage());
  }

  @Test
  void open_readsEveryDTypeTheFormatNames_butConvertsOnlyFloats() {
    Path file = dir.resolve("ints.safetensors");
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment ints = arena.allocate(8);
      ints.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, 42);
      new SafetensorsWriter().add("i", DType.I32, new long[] {2}, ints).write(file);
      try (SafetensorsFile f = SafetensorsFile.open(file)) {
        assertEquals(DType.I32, f.entry("i").dtype());
        assertEquals(42, f.bytes("i").get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> DType.I32.decodeToF32(f.bytes("i"), arena.allocate(8), 2));
        assertEquals("dtype I32: no float32 conversion (expected: F32, F16 or BF16)", e.getMessage());
      }
    }
  }

  @Test
  void dtype_forName_readsSafetensorsAndTorchNames() {
    assertEquals(DType.BF16, DType.forName("bfloat16"));
    assertEquals(DType.BF16, DType.forName("BF16"));
    assertEquals(DType.F16, DType.forName("half"));
    assertEquals(DType.F32, DType.forName(" float "));
    assertEquals(DType.F8_E4M3, DType.forName("float8_e4m3fn"));
    assertEquals(DType.I64, DType.forName("int64"));
    for (DType t : DType.values()) {
      assertEquals(t, DType.forName(t.torchName()));
      assertEquals(t, DType.forName(t.safetensorsName()));
    }
    assertEquals("name", assertThrows(NullPointerException.class, () -> DType.forName(null)).getMessage());
    assertEquals("path", assertThrows(NullPointerException.class, () -> SafetensorsFile.open(null)).getMessage());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DType.forName("q4"));
    assertTrue(e.getMessage().startsWith("dtype \"q4\" (expected: one of [F32, F16, BF16,"), e.getMessage());
  }

  @Test
  void bytes_afterClose_throwsAndUnknownTensorIsNamed() {
    Path file = dir.resolve("m.safetensors");
    MemorySegment slice;
    try (Arena arena = Arena.ofConfined()) {
      new SafetensorsWriter().add("x", DType.F32, new long[] {1}, floats(arena, 7f)).write(file);
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
