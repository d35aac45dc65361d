package io.stratacache.backend.cxl;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

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
 *    | 264 EXCLUSIVE: pid &lt;&lt; 32 | nonce of a process that opened the region |
 *    |     exclusively (a check or repair), or 0                            |
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

  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final long PAGE = 4096;

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
  public static final long EXCLUSIVE_OFFSET = 264;

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
   * Where each area of a region starts, derived from the settings it was formatted with and the
   * number of data blocks. Every offset is computed here and nowhere else:
   *
   * <pre>
   *  slotsOffset     = HEADER_BYTES
   *  indexOffset     = slotsOffset + slotCount x SLOT_BYTES
   *  processesOffset = indexOffset + buckets x 8            buckets = 2^k &gt;= 2 x slotCount
   *  holdsOffset     = processesOffset + maxProcesses x PROCESS_BYTES
   *  bitmapOffset    = holdsOffset + maxProcesses x ceil(slotCount / 64) x 8
   *  dataOffset      = bitmapOffset + ceil(dataBlocks / 64) x 8, rounded up to max(blockBytes, 4 KiB)
   *  data end        = dataOffset + dataBlocks x blockBytes  &lt;= regionBytes
   * </pre>
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
     * The layout of a region with exactly {@code dataBlocks} data blocks; its {@code regionBytes}
     * is the least size that holds it in whole 4 KiB pages ({@link #forCapacity}).
     */
    public static Geometry withBlocks(int slotCount, int blockBytes, int alignment, int maxProcesses, long dataBlocks) {
      Geometry g = build(0, slotCount, blockBytes, alignment, maxProcesses, dataBlocks);
      return g.resized(alignUp(g.dataEnd(), PAGE));
    }

    /**
     * The layout that a region of {@code regionBytes} formatted with these settings has: as many
     * data blocks as fit beside the metadata (their own bitmap included), and at most {@code
     * maxBlocks}. {@code dataBlocks} is zero if not even one block fits.
     */
    public static Geometry fitting(
        long regionBytes, int slotCount, int blockBytes, int alignment, int maxProcesses, long maxBlocks) {
      long lo = 0;
      long hi = Math.max(0, Math.min(maxBlocks, regionBytes / blockBytes));
      while (lo < hi) {
        long mid = lo + (hi - lo + 1) / 2;
        if (build(regionBytes, slotCount, blockBytes, alignment, maxProcesses, mid).dataEnd() <= regionBytes) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      return build(regionBytes, slotCount, blockBytes, alignment, maxProcesses, lo);
    }

    /** {@link #fitting} with no limit on the data blocks: the whole region is used. */
    public static Geometry of(long regionBytes, int slotCount, int blockBytes, int alignment, int maxProcesses) {
      return fitting(regionBytes, slotCount, blockBytes, alignment, maxProcesses, Long.MAX_VALUE);
    }

    /**
     * The least region (whole 4 KiB pages) whose data area holds {@code capacity} bytes, rounded
     * up to whole blocks.
     */
    public static Geometry forCapacity(long capacity, int slotCount, int blockBytes, int alignment, int maxProcesses) {
      return withBlocks(slotCount, blockBytes, alignment, maxProcesses, blocksFor(capacity, blockBytes));
    }

    /**
     * The layout a region's header describes: the fixed areas follow from the settings, the data
     * area is where the header says (regions formatted by earlier releases may keep a page of
     * slack before it). Check it with {@link #isConsistent()}.
     */
    public static Geometry read(MemorySegment region) {
      Geometry g = build(region.get(LONG, REGION_BYTES_OFFSET), region.get(INT, SLOT_COUNT_OFFSET),
          region.get(INT, BLOCK_BYTES_OFFSET), region.get(INT, ALIGNMENT_OFFSET), region.get(INT, MAX_PROCESSES_OFFSET),
          region.get(LONG, DATA_BLOCKS_OFFSET));
      return new Geometry(g.regionBytes, g.slotCount, g.blockBytes, g.alignment, g.maxProcesses, g.buckets,
          g.slotsOffset, g.indexOffset, g.processesOffset, g.holdsOffset, g.bitmapOffset,
          region.get(LONG, DATA_AREA_OFFSET), g.dataBlocks);
    }

    /** Writes the settings and offsets of this layout into the header of {@code region}. */
    public void write(MemorySegment region) {
      region.set(INT, VERSION_OFFSET, VERSION);
      region.set(INT, HEADER_BYTES_OFFSET, HEADER_BYTES);
      region.set(LONG, REGION_BYTES_OFFSET, regionBytes);
      region.set(INT, SLOT_COUNT_OFFSET, slotCount);
      region.set(INT, SLOT_BYTES_OFFSET, SLOT_BYTES);
      region.set(INT, BLOCK_BYTES_OFFSET, blockBytes);
      region.set(INT, ALIGNMENT_OFFSET, alignment);
      region.set(INT, MAX_PROCESSES_OFFSET, maxProcesses);
      region.set(LONG, INDEX_BUCKETS_OFFSET, buckets);
      region.set(LONG, SLOTS_AREA_OFFSET, slotsOffset);
      region.set(LONG, INDEX_AREA_OFFSET, indexOffset);
      region.set(LONG, PROCESSES_AREA_OFFSET, processesOffset);
      region.set(LONG, HOLDS_AREA_OFFSET, holdsOffset);
      region.set(LONG, BITMAP_AREA_OFFSET, bitmapOffset);
      region.set(LONG, DATA_AREA_OFFSET, dataOffset);
      region.set(LONG, DATA_BLOCKS_OFFSET, dataBlocks);
    }

    /**
     * Whether the settings are sane and the areas follow one another inside the region, the data
     * area aligned and after a bitmap large enough for it; {@code header} is the region the
     * layout was {@linkplain #read read} from, whose stored offsets must agree.
     */
    public boolean isConsistent(MemorySegment header) {
      return slotCount > 0 && blockBytes >= 64 && Long.bitCount(blockBytes) == 1 && alignment > 0
          && alignment <= blockBytes && Long.bitCount(alignment) == 1 && maxProcesses > 0
          && header.get(INT, SLOT_BYTES_OFFSET) == SLOT_BYTES && header.get(INT, HEADER_BYTES_OFFSET) == HEADER_BYTES
          && header.get(LONG, INDEX_BUCKETS_OFFSET) == buckets && header.get(LONG, SLOTS_AREA_OFFSET) == slotsOffset
          && header.get(LONG, INDEX_AREA_OFFSET) == indexOffset
          && header.get(LONG, PROCESSES_AREA_OFFSET) == processesOffset
          && header.get(LONG, HOLDS_AREA_OFFSET) == holdsOffset && header.get(LONG, BITMAP_AREA_OFFSET) == bitmapOffset
          && dataBlocks > 0 && dataOffset % dataAlignment(blockBytes) == 0
          && dataOffset >= bitmapOffset + bitmapWords(dataBlocks) * 8 && dataEnd() <= regionBytes
          && regionBytes == header.byteSize();
    }

    private static Geometry build(
        long regionBytes, int slotCount, int blockBytes, int alignment, int maxProcesses, long dataBlocks) {
      long buckets = Long.highestOneBit(Math.max(2L * slotCount - 1, 1)) << 1;
      long slots = HEADER_BYTES;
      long index = slots + (long) slotCount * SLOT_BYTES;
      long processes = index + buckets * 8;
      long holds = processes + (long) maxProcesses * PROCESS_BYTES;
      long bitmap = holds + (long) maxProcesses * holdWords(slotCount) * 8;
      long data = alignUp(bitmap + bitmapWords(dataBlocks) * 8, dataAlignment(blockBytes));
      return new Geometry(regionBytes, slotCount, blockBytes, alignment, maxProcesses, buckets, slots, index, processes,
          holds, bitmap, data, dataBlocks);
    }

    private Geometry resized(long bytes) {
      return new Geometry(bytes, slotCount, blockBytes, alignment, maxProcesses, buckets, slotsOffset, indexOffset,
          processesOffset, holdsOffset, bitmapOffset, dataOffset, dataBlocks);
    }

    /** Offset in the region of a record at {@code recordOffset} from the start of the data area. */
    public long dataAt(long recordOffset) {
      return dataOffset + recordOffset;
    }

    /** Where the data area ends. */
    public long dataEnd() {
      return dataOffset + dataBlocks * blockBytes;
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

    /** Words of one process's hold bitmap. */
    public long holdWordCount() {
      return holdWords(slotCount);
    }

    /** Offset of the block bitmap word that holds block {@code b}'s bit. */
    public long bitmapWord(long b) {
      return bitmapOffset + (b >>> 6) * 8;
    }

    /** Words of the block bitmap. */
    public long bitmapWordCount() {
      return bitmapWords(dataBlocks);
    }

    /** Blocks that a record of {@code bytes} takes. */
    public long blocksOf(long bytes) {
      return blocksFor(bytes, blockBytes);
    }
  }

  /** The word of process table entry {@code p}, read through the header's offsets (before a geometry is checked). */
  static long processWord(MemorySegment region, int p) {
    return region.get(LONG, region.get(LONG, PROCESSES_AREA_OFFSET) + (long) p * PROCESS_BYTES + PROCESS_WORD);
  }

  static long blocksFor(long bytes, long blockBytes) {
    return (bytes + blockBytes - 1) / blockBytes;
  }

  static long dataAlignment(long blockBytes) {
    return Math.max(blockBytes, PAGE);
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
