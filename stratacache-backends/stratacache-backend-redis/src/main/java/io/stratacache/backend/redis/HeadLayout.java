package io.stratacache.backend.redis;

import io.stratacache.core.codec.Crc32c;
import io.stratacache.core.codec.RecordLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * What an artifact's head key holds. A record of at most {@code part_size} bytes is the head's
 * whole value, a plain {@link RecordLayout SCR1} record. A larger record is cut into pieces of
 * {@code part_size} bytes: pieces 1..n-1 go under part keys (see {@link RedisKeys}), written
 * first; the head, written last, holds this envelope followed by piece 0.
 *
 * <pre>
 *  0        4        8                16               24       28
 *  +--------+--------+----------------+----------------+--------+
 *  | "SCRP" | piece  | generation     | recordLength   | crcEnv |   all little-endian
 *  +--------+--------+----------------+----------------+--------+
 *  | piece 0: bytes [0, part_size) of the SCR1 record            |
 *  +-------------------------------------------------------------+
 * </pre>
 *
 * <p>{@code piece} is the writer's part size: piece {@code i} is bytes {@code [i * piece, (i + 1) *
 * piece)} of the record, the last one shorter, so a reader needs no part size of its own.
 * {@code crcEnv} is the CRC32C of bytes 0..24. The generation is random per store: parts of an
 * older store of the same id are never mistaken for the current ones, and the SCR1 record's
 * checksums catch any damaged piece.
 */
final class HeadLayout {
  /** {@code "SCRP"} read as a little-endian int. */
  static final int MAGIC = 'S' | 'C' << 8 | 'R' << 16 | 'P' << 24;

  static final int PIECE_SIZE_OFFSET = 4;
  static final int GENERATION_OFFSET = 8;
  static final int LENGTH_OFFSET = 16;
  static final int CRC_OFFSET = 24;

  /** Size of the envelope; piece 0 follows it. */
  static final int BYTES = 28;

  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private HeadLayout() {}

  /** A decoded envelope. */
  record Envelope(long pieceSize, long generation, long recordLength) {
    /** Number of pieces, piece 0 (in the head) included. */
    int parts() {
      return (int) ((recordLength + pieceSize - 1) / pieceSize);
    }

    /** Offset of piece {@code i} in the record. */
    long offset(int i) {
      return i * pieceSize;
    }

    /** Length of piece {@code i}. */
    long length(int i) {
      return Math.min(recordLength, (i + 1) * pieceSize) - offset(i);
    }
  }

  /** The envelope for a record of {@code recordLength} bytes cut into pieces of {@code pieceSize}. */
  static byte[] encode(int pieceSize, long generation, long recordLength) {
    byte[] out = new byte[BYTES];
    MemorySegment s = MemorySegment.ofArray(out);
    s.set(INT, 0, MAGIC);
    s.set(INT, PIECE_SIZE_OFFSET, pieceSize);
    s.set(LONG, GENERATION_OFFSET, generation);
    s.set(LONG, LENGTH_OFFSET, recordLength);
    s.set(INT, CRC_OFFSET, Crc32c.of(s.asSlice(0, CRC_OFFSET)));
    return out;
  }

  /** The first four bytes of {@code head}, or 0 if it is shorter. */
  static int magic(MemorySegment head) {
    return head.byteSize() < 4 ? 0 : head.get(INT, 0);
  }

  /** Whether {@code head} starts like an SCR1 record. */
  static boolean isRecord(MemorySegment head) {
    return magic(head) == RecordLayout.MAGIC;
  }

  /** The envelope at the start of {@code head}, or {@code null} if there is no valid one. */
  static Envelope envelope(MemorySegment head) {
    if (head.byteSize() < BYTES || magic(head) != MAGIC) {
      return null;
    }
    if (Crc32c.of(head.asSlice(0, CRC_OFFSET)) != head.get(INT, CRC_OFFSET)) {
      return null;
    }
    int piece = head.get(INT, PIECE_SIZE_OFFSET);
    long length = head.get(LONG, LENGTH_OFFSET);
    if (piece < RedisConfig.MIN_PART_SIZE || length <= piece || (length + piece - 1) / piece > Integer.MAX_VALUE) {
      return null;
    }
    return new Envelope(piece, head.get(LONG, GENERATION_OFFSET), length);
  }
}
