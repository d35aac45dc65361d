package io.stratacache.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Crc32cTest {
  private static int reference(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return (int) crc.getValue();
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 7, 4096, 65536, 65537, 200_003})
  void of_agreesWithTheJdkForEveryKindOfSegment(int n) {
    byte[] bytes = randomBytes(n - n % 8);
    int expected = reference(bytes);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment nativeSeg = arena.allocate(Math.max(1, bytes.length)).asSlice(0, bytes.length);
      MemorySegment.copy(bytes, 0, nativeSeg, ValueLayout.JAVA_BYTE, 0, bytes.length);
      long[] longs = new long[bytes.length / 8];
      MemorySegment longSeg = MemorySegment.ofArray(longs);
      MemorySegment.copy(bytes, 0, longSeg, ValueLayout.JAVA_BYTE, 0, bytes.length);
      float[] floats = new float[bytes.length / 4];
      MemorySegment floatSeg = MemorySegment.ofArray(floats);
      MemorySegment.copy(bytes, 0, floatSeg, ValueLayout.JAVA_BYTE, 0, bytes.length);

      assertEquals(expected, Crc32c.of(MemorySegment.ofArray(bytes)), "byte[]");
      assertEquals(expected, Crc32c.of(MemorySegment.ofArray(bytes).asReadOnly()), "read-only byte[]");
      assertEquals(expected, Crc32c.of(nativeSeg), "native");
      assertEquals(expected, Crc32c.of(nativeSeg.asReadOnly()), "read-only native");
      assertEquals(expected, Crc32c.of(longSeg), "long[]");
      assertEquals(expected, Crc32c.of(floatSeg.asReadOnly()), "read-only float[]");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 3, 65535, 65536, 100_000})
  void update_overSlicesEqualsTheWhole(int split) {
    byte[] bytes = randomBytes(131_072);
    MemorySegment whole = MemorySegment.ofArray(new int[bytes.length / 4]);
    MemorySegment.copy(bytes, 0, whole, ValueLayout.JAVA_BYTE, 0, bytes.length);
    CRC32C crc = new CRC32C();
    Crc32c.update(crc, whole.asSlice(0, split));
    Crc32c.update(crc, whole.asSlice(split));
    assertEquals(reference(bytes), (int) crc.getValue());
  }
}
