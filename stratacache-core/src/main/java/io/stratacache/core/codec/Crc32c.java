package io.stratacache.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

/** CRC32C of memory segments, heap or native, using the JDK's intrinsic. */
public final class Crc32c {
  private static final int SCRATCH_BYTES = 64 * 1024;

  private Crc32c() {}

  /** CRC32C of all of {@code segment}. */
  public static int of(MemorySegment segment) {
    CRC32C crc = new CRC32C();
    update(crc, segment);
    return (int) crc.getValue();
  }

  /**
   * Feeds {@code segment} to {@code crc}. Native segments and segments over a {@code byte[]} are
   * read in place, in pieces of at most 1 GiB; other heap segments (over a {@code float[]}, say, or
   * read-only views), which have no byte-buffer view, are copied through a small scratch array.
   */
  public static void update(CRC32C crc, MemorySegment segment) {
    long size = segment.byteSize();
    if (segment.isNative() || segment.heapBase().orElse(null) instanceof byte[]) {
      long chunk = 1L << 30;
      for (long off = 0; off < size; off += chunk) {
        crc.update(segment.asSlice(off, Math.min(chunk, size - off)).asByteBuffer());
      }
      return;
    }
    byte[] scratch = new byte[(int) Math.min(size, SCRATCH_BYTES)];
    for (long off = 0; off < size; off += scratch.length) {
      int n = (int) Math.min(scratch.length, size - off);
      MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, off, scratch, 0, n);
      crc.update(scratch, 0, n);
    }
  }
}
