package io.stratacache.backend.cxl;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32C;

/**
 * Copying into and out of the region with the CRC32C computed in the same pass.
 *
 * <p>Design: the copy goes in blocks of {@value #BLOCK} bytes, small enough to stay in the core's
 * cache, and each block is checksummed right after it is copied, so the checksum reads the bytes
 * from the cache instead of from memory a second time. Measured here on 16 MiB, a copy followed by
 * a separate checksum pass runs at about 0.5x a plain copy, this at about 0.7x; the rest is the
 * checksum's own arithmetic. The block is checksummed on the side that is ordinary local memory
 * when it can be read as a buffer: the caller's source on a store (the region may be device
 * memory, slow to read back), the caller's destination on a load (so the bytes checked are
 * exactly those the caller receives).
 */
final class CxlCopy {
  /** Bytes copied, then checksummed, at a time. */
  static final long BLOCK = 256 << 10;

  private CxlCopy() {}

  /**
   * Copies {@code src} into {@code dst} (at least as large) and returns the CRC32C of the bytes
   * copied, checksumming {@code dst}'s blocks if {@code checkDestination} and {@code dst} can be
   * read as a buffer, otherwise {@code src}'s (and {@code dst}'s if {@code src} cannot be).
   */
  static int copy(MemorySegment src, MemorySegment dst, boolean checkDestination) {
    MemorySegment checked = checkDestination ? (readable(dst) ? dst : src) : (readable(src) ? src : dst);
    CRC32C crc = new CRC32C();
    long size = src.byteSize();
    for (long off = 0; off < size; off += BLOCK) {
      long n = Math.min(BLOCK, size - off);
      MemorySegment.copy(src, off, dst, off, n);
      if (readable(checked)) {
        crc.update(checked.asSlice(off, n).asByteBuffer());
      } else {
        io.stratacache.core.codec.Crc32c.update(crc, checked.asSlice(off, n));
      }
    }
    return (int) crc.getValue();
  }

  /** Whether {@code s} has a byte-buffer view (native, or over a {@code byte[]}). */
  private static boolean readable(MemorySegment s) {
    return s.isNative() || s.heapBase().orElse(null) instanceof byte[];
  }
}
