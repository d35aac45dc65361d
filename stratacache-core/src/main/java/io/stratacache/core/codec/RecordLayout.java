package io.stratacache.core.codec;

/**
 * The {@code SCR1} record: one artifact, its id and meta, in a form that outlives the process.
 * Every layer whose bytes survive a restart (CXL, SSD, Redis) stores artifacts as records.
 *
 * <pre>
 *  0        4        8                16       20       24
 *  +--------+--------+----------------+--------+--------+
 *  | "SCR1" | hdrLen | payloadLength  | crcPay | crcHdr |   all little-endian
 *  +--------+--------+----------------+--------+--------+
 *  | header: {"id":"...","meta":{...}} (UTF-8 JSON)     |   hdrLen bytes
 *  +----------------------------------------------------+
 *  | zero padding up to the layer's alignment           |   payload starts at
 *  +----------------------------------------------------+   align(24 + hdrLen)
 *  | payload                                            |   payloadLength bytes
 *  +----------------------------------------------------+
 * </pre>
 *
 * <p>{@code crcPay} is the CRC32C of the payload and {@code crcHdr} the CRC32C of the header
 * bytes (the design's 8-byte checksum field, split in two so that an index can be rebuilt from
 * headers alone and a flipped bit in an id can never hand out another artifact's bytes). A record
 * is valid only if the magic, both lengths and both checksums agree.
 */
public final class RecordLayout {
  /** {@code "SCR1"} read as a little-endian int. */
  public static final int MAGIC = 'S' | 'C' << 8 | 'R' << 16 | '1' << 24;

  public static final int MAGIC_OFFSET = 0;
  public static final int HEADER_LENGTH_OFFSET = 4;
  public static final int PAYLOAD_LENGTH_OFFSET = 8;
  public static final int PAYLOAD_CRC_OFFSET = 16;
  public static final int HEADER_CRC_OFFSET = 20;

  /** Size of the fixed prefix; the header JSON starts here. */
  public static final int PREFIX_BYTES = 24;

  /** Largest header accepted: an id of at most 1024 bytes plus a generous meta. */
  public static final int MAX_HEADER_BYTES = 1 << 20;

  private RecordLayout() {}

  /**
   * Offset of the payload in a record with a header of {@code headerLength} bytes.
   *
   * @throws IllegalArgumentException if {@code alignment} is not a power of two
   */
  public static long payloadOffset(int headerLength, int alignment) {
    if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
      throw new IllegalArgumentException("alignment: " + alignment + " (expected: a power of two)");
    }
    long end = PREFIX_BYTES + (long) headerLength;
    return (end + alignment - 1) / alignment * alignment;
  }
}
