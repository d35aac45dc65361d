package io.stratacache.backend.cxl;

/**
 * The layout of a CXL / shared-memory region. Every piece of the tier's state lives in the region,
 * so another process mapping it, or the next run, finds what was stored.
 *
 * <pre>
 *  region: little-endian; every field is naturally aligned
 *
 *  0 +----------------------------------------------------------------------+
 *    | HEADER (4096 bytes)                                                  |
 *    |   0 magic "SCXLREG1"        8 version      12 header bytes           |
 *    |  16 region bytes           24 slot count   28 slot bytes             |
 *    |  32 block bytes            36 alignment    40 max processes          |
 *    |  48 index buckets          56.. 96 offsets of the areas below        |
 *    | 104 data blocks           112 generation (+1 at every format)        |
 *    | 128 LOCK: owner pid &lt;&lt; 32 | lease deadline (ms, low 32 bits)     |
 *    | 192 index seq (odd while the index is being reshaped)                |
 *    | 200 commit seq  208 used blocks  216 artifacts  224 free slots       |
 *    | 232 block rover 240 slot rover   248 lock breaks  256 retired slots  |
 *    +----------------------------------------------------------------------+ slotsOffset
 *    | SLOTS: slotCount x 128 bytes, one per stored (or being stored) record|
 *    +----------------------------------------------------------------------+ indexOffset
 *    | INDEX: buckets x 8 bytes (power of two &gt;= 2 x slots), open        |
 *    |   addressing with linear probing; bucket = hash32 &lt;&lt; 32 | slot+1   |
 *    |   (0 = empty); deletion shifts entries back, so there are no         |
 *    |   tombstones                                                         |
 *    +----------------------------------------------------------------------+ processesOffset
 *    | PROCESSES: maxProcesses x 64 bytes: 0 pid &lt;&lt; 32 | nonce, 8 attach ms |
 *    +----------------------------------------------------------------------+ holdsOffset
 *    | HOLDS: per process ceil(slots/64) x 8 bytes; bit s set = the process |
 *    |   has a lease or pin on slot s, which no process may then reuse      |
 *    +----------------------------------------------------------------------+ bitmapOffset
 *    | BLOCK BITMAP: ceil(dataBlocks/64) x 8 bytes; bit b = block b in use; |
 *    |   bits past the last block are set                                   |
 *    +----------------------------------------------------------------------+ dataOffset
 *    | DATA: dataBlocks x blockBytes. Each artifact is one SCR1 record      |
 *    |   (io.stratacache.core.codec.RecordLayout) in a run of whole blocks  |
 *    +----------------------------------------------------------------------+ regionBytes
 *
 *  slot (128 bytes)
 *    0 state   8 owner   16 hash hi   24 hash lo   32 record offset (from dataOffset)
 *   40 record length   48 payload length   56 commit seq   64 payload CRC32C (int)
 *   68 header length (int)   72 stamp (ms of last store or load)   80..127 reserved
 * </pre>
 *
 * <p>Slot states: {@link #FREE} &rarr; {@link #WRITING} (claimed, extent allocated, payload being
 * copied; invisible) &rarr; {@link #COMMITTED} (visible) &harr; {@link #EVICTING} (visible, offered
 * to the eviction listener) &rarr; {@link #RETIRED} (invisible, extent still allocated until no
 * process holds it) &rarr; {@link #FREE}. {@code owner} is the process word of the writer or
 * evicter, so that recovery can reclaim what a dead process left.
 */
public final class CxlLayout {
  /** {@code "SCXLREG1"} read as a little-endian long. */
  public static final long MAGIC = 0x314745524C584353L;

  public static final int VERSION = 1;

  // Header
  public static final int HEADER_BYTES = 4096;
  public static final long MAGIC_OFFSET = 0;
  public static final long VERSION_OFFSET = 8;
  public static final long HEADER_BYTES_OFFSET = 12;
  public static final long REGION_BYTES_OFFSET = 16;
  public static final long SLOT_COUNT_OFFSET = 24;
  public static final long SLOT_BYTES_OFFSET = 28;
  public static final long BLOCK_BYTES_OFFSET = 32;
  public static final long ALIGNMENT_OFFSET = 36;
  public static final long MAX_PROCESSES_OFFSET = 40;
  public static final long INDEX_BUCKETS_OFFSET = 48;
  public static final long SLOTS_AREA_OFFSET = 56;
  public static final long INDEX_AREA_OFFSET = 64;
  public static final long PROCESSES_AREA_OFFSET = 72;
  public static final long HOLDS_AREA_OFFSET = 80;
  public static final long BITMAP_AREA_OFFSET = 88;
  public static final long DATA_AREA_OFFSET = 96;
  public static final long DATA_BLOCKS_OFFSET = 104;
  public static final long GENERATION_OFFSET = 112;
  public static final long LOCK_OFFSET = 128;
  public static final long INDEX_SEQ_OFFSET = 192;
  public static final long COMMIT_SEQ_OFFSET = 200;
  public static final long USED_BLOCKS_OFFSET = 208;
  public static final long ARTIFACTS_OFFSET = 216;
  public static final long FREE_SLOTS_OFFSET = 224;
  public static final long BLOCK_ROVER_OFFSET = 232;
  public static final long SLOT_ROVER_OFFSET = 240;
  public static final long LOCK_BREAKS_OFFSET = 248;
  public static final long RETIRED_SLOTS_OFFSET = 256;

  // Slot
  public static final int SLOT_BYTES = 128;
  public static final long SLOT_STATE = 0;
  public static final long SLOT_OWNER = 8;
  public static final long SLOT_HASH_HI = 16;
  public static final long SLOT_HASH_LO = 24;
  public static final long SLOT_RECORD_OFFSET = 32;
  public static final long SLOT_RECORD_LENGTH = 40;
  public static final long SLOT_PAYLOAD_LENGTH = 48;
  public static final long SLOT_SEQ = 56;
  public static final long SLOT_CRC = 64;
  public static final long SLOT_HEADER_LENGTH = 68;
  public static final long SLOT_STAMP = 72;

  public static final long FREE = 0;
  public static final long WRITING = 1;
  public static final long COMMITTED = 2;
  public static final long EVICTING = 3;
  public static final long RETIRED = 4;

  // Process table entry
  public static final int PROCESS_BYTES = 64;
  public static final long PROCESS_WORD = 0;
  public static final long PROCESS_ATTACHED = 8;

  private CxlLayout() {}

  /** Whether a slot in {@code state} is visible to loads. */
  public static boolean isVisible(long state) {
    return state == COMMITTED || state == EVICTING;
  }

  /**
   * Where each area of a region starts, derived from its size and the settings it was formatted
   * with.
   *
   * @param regionBytes size of the whole region
   * @param slotCount object table slots
   * @param blockBytes allocation unit of the data area
   * @param alignment payload alignment inside records
   * @param maxProcesses process table entries
   * @param buckets index buckets
   * @param slotsOffset start of the object table
   * @param indexOffset start of the index
   * @param processesOffset start of the process table
   * @param holdsOffset start of the hold bitmaps
   * @param bitmapOffset start of the block bitmap
   * @param dataOffset start of the data area
   * @param dataBlocks blocks in the data area
   */
  public record Geometry(
      long regionBytes,
      int slotCount,
      int blockBytes,
      int alignment,
      int maxProcesses,
      long buckets,
      long slotsOffset,
      long indexOffset,
      long processesOffset,
      long holdsOffset,
      long bitmapOffset,
      long dataOffset,
      long dataBlocks) {

    /**
     * The geometry of a region of {@code regionBytes}; {@code dataBlocks} is what is left after the
     * metadata, and may be zero or less if the region is too small.
     */
    public static Geometry of(long regionBytes, int slotCount, int blockBytes, int alignment, int maxProcesses) {
      long buckets = Long.highestOneBit(Math.max(2L * slotCount - 1, 1)) << 1;
      long slots = HEADER_BYTES;
      long index = slots + (long) slotCount * SLOT_BYTES;
      long processes = index + buckets * 8;
      long holds = processes + (long) maxProcesses * PROCESS_BYTES;
      long bitmap = holds + (long) maxProcesses * holdWords(slotCount) * 8;
      long maxBlocks = Math.max(0, (regionBytes - bitmap) / blockBytes);
      long data = alignUp(bitmap + bitmapWords(maxBlocks) * 8, Math.max(blockBytes, 4096));
      long blocks = regionBytes >= data ? (regionBytes - data) / blockBytes : -1;
      return new Geometry(regionBytes, slotCount, blockBytes, alignment, maxProcesses, buckets, slots, index, processes,
          holds, bitmap, data, blocks);
    }

    /** The smallest region whose data area holds {@code capacity} bytes, rounded up to 4 KiB. */
    public static long regionBytesFor(long capacity, int slotCount, int blockBytes, int maxProcesses) {
      long blocks = (capacity + blockBytes - 1) / blockBytes;
      long bitmap = of(0, slotCount, blockBytes, 1, maxProcesses).bitmapOffset();
      long data = alignUp(bitmap + bitmapWords(blocks) * 8, Math.max(blockBytes, 4096));
      return alignUp(data + blocks * blockBytes, 4096);
    }

    /** Bytes of the data area. */
    public long dataBytes() {
      return dataBlocks * blockBytes;
    }

    /** Offset of slot {@code s}. */
    public long slot(int s) {
      return slotsOffset + (long) s * SLOT_BYTES;
    }

    /** Offset of index bucket {@code b}. */
    public long bucket(long b) {
      return indexOffset + b * 8;
    }

    /** Offset of process table entry {@code p}. */
    public long process(int p) {
      return processesOffset + (long) p * PROCESS_BYTES;
    }

    /** Offset of the word of process {@code p}'s hold bitmap that holds slot {@code s}'s bit. */
    public long holdWord(int p, int s) {
      return holdsOffset + ((long) p * holdWords(slotCount) + (s >>> 6)) * 8;
    }

    /** Offset of the block bitmap word that holds block {@code b}'s bit. */
    public long bitmapWord(long b) {
      return bitmapOffset + (b >>> 6) * 8;
    }

    /** Words of the block bitmap. */
    public long bitmapWordCount() {
      return bitmapWords(dataBlocks);
    }
  }

  static long holdWords(int slotCount) {
    return (slotCount + 63L) >>> 6;
  }

  static long bitmapWords(long blocks) {
    return (blocks + 63) >>> 6;
  }

  static long alignUp(long v, long a) {
    return (v + a - 1) / a * a;
  }
}
