package io.stratacache.core.codec;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32C;

/** CRC32C of memory segments, heap or native, using the JDK's intrinsic. */
public final class Crc32c {
  private Crc32c() {}

  /** CRC32C of all of {@code segment}. */
  public static int of(MemorySegment segment) {
    CRC32C crc = new CRC32C();
    update(crc, segment);
    return (int) crc.getValue();
  }

  /** Feeds {@code segment} to {@code crc}, in pieces of at most 1 GiB. */
  public static void update(CRC32C crc, MemorySegment segment) {
    long size = segment.byteSize();
    long chunk = 1L << 30;
    for (long off = 0; off < size; off += chunk) {
      crc.update(segment.asSlice(off, Math.min(chunk, size - off)).asByteBuffer());
    }
  }
}
