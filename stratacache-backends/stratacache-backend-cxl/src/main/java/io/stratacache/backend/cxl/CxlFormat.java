package io.stratacache.backend.cxl;

import static io.stratacache.backend.cxl.CxlLayout.COMMITTED;
import static io.stratacache.backend.cxl.CxlLayout.EVICTING;
import static io.stratacache.backend.cxl.CxlLayout.FREE;
import static io.stratacache.backend.cxl.CxlLayout.RETIRED;
import static io.stratacache.backend.cxl.CxlLayout.WRITING;

import io.stratacache.core.LayerUnavailableException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Formatting a region, checking the header of one already formatted, and repairing a region from
 * its slots. Everything here runs under the region lock.
 *
 * <p><b>Sizing.</b> One rule, {@link #plan}, decides the geometry both when the tier sizes a new
 * region and when it formats one: with {@code capacity} set, the slot count follows from the
 * capacity and the data area is the capacity in whole blocks (the region created for it is
 * exactly large enough); otherwise the slot count follows from the region's size and the data
 * area is whatever the metadata leaves.
 *
 * <p><b>Repair.</b> Brings the region back to a consistent state from its slots: slots of dead
 * writers are freed, dead evicters' marks undone, unheld retired slots freed, slots whose extent
 * is impossible or overlaps another dropped, duplicate versions of an id resolved to the newest
 * commit, and the block bitmap, the index and the counters rebuilt. Live processes' slots and
 * holds are left alone, so a process may open the region while others use it.
 */
final class CxlFormat {
  private CxlFormat() {}

  /**
   * The geometry the tier gives a region of {@code regionBytes} with {@code config}, or, with
   * {@code regionBytes < 0}, the geometry of the region it creates for {@code config}'s capacity.
   */
  static CxlLayout.Geometry plan(CxlConfig config, long regionBytes) {
    if (config.capacityBytes() > 0) {
      int slots = config.slotsFor(config.capacityBytes());
      long blocks = CxlLayout.blocksFor(config.capacityBytes(), config.blockBytes());
      return regionBytes < 0
          ? CxlLayout.Geometry.withBlocks(slots, config.blockBytes(), config.alignment(), config.maxProcesses(), blocks)
          : CxlLayout.Geometry.fitting(regionBytes, slots, config.blockBytes(), config.alignment(), config.maxProcesses(),
              blocks);
    }
    int slots = config.slotsFor(Math.max(regionBytes - CxlLayout.HEADER_BYTES, 0));
    return CxlLayout.Geometry.of(regionBytes, slots, config.blockBytes(), config.alignment(), config.maxProcesses());
  }

  /** Bytes of the region the tier creates for {@code config} if none exists, or -1 if unknown. */
  static long newRegionBytes(CxlConfig config) {
    if (config.sizeBytes() > 0) {
      return config.sizeBytes();
    }
    if (config.capacityBytes() <= 0) {
      return -1;
    }
    return plan(config, -1).regionBytes();
  }

  /**
   * The geometry of the mapped region: its own if it holds a valid header (and no reset is asked
   * for), otherwise a fresh format.
   *
   * @throws LayerUnavailableException naming the region and the fix if the header is of another
   *     version or inconsistent, if a reset is asked for while another process maps the region, or
   *     if the region is too small
   */
  static CxlLayout.Geometry formatOrValidate(CxlRegion region, CxlConfig config, String where, String tier) {
    long magic = region.getVolatile(CxlLayout.MAGIC_OFFSET);
    if (magic == CxlLayout.MAGIC && !config.resetMetadata()) {
      return validate(region, where, tier);
    }
    if (magic == CxlLayout.MAGIC && CxlHolds.anotherLiveProcess(region)) {
      throw new LayerUnavailableException(
          where + ": reset_metadata is set but another live process has region " + region.path()
              + " open (expected: reset only while no other process maps the region)");
    }
    long previousGeneration = magic == CxlLayout.MAGIC ? region.getLong(CxlLayout.GENERATION_OFFSET) : 0;
    return format(region, config, previousGeneration + 1, where);
  }

  private static CxlLayout.Geometry validate(CxlRegion region, String where, String tier) {
    int version = region.getInt(CxlLayout.VERSION_OFFSET);
    if (version != CxlLayout.VERSION) {
      throw new LayerUnavailableException(
          where + ": region " + region.path() + " has layout version " + version + " (expected: " + CxlLayout.VERSION
              + "); set tiers." + tier + ".reset_metadata: true to format it, dropping what it holds");
    }
    CxlLayout.Geometry stored = CxlLayout.Geometry.read(region.segment());
    if (!stored.isConsistent(region.segment())) {
      throw new LayerUnavailableException(
          where + ": region " + region.path() + " of " + region.size() + " bytes has a header for " + stored.regionBytes()
              + " bytes or inconsistent offsets (expected: the header this tier wrote); set tiers." + tier
              + ".reset_metadata: true to format it, dropping what it holds");
    }
    return stored;
  }

  private static CxlLayout.Geometry format(CxlRegion region, CxlConfig config, long generation, String where) {
    long size = region.size();
    CxlLayout.Geometry geo = plan(config, size);
    if (geo.dataBlocks() < 1) {
      long least = CxlLayout.Geometry.withBlocks(geo.slotCount(), geo.blockBytes(), geo.alignment(), geo.maxProcesses(), 1)
          .dataEnd();
      throw new LayerUnavailableException(
          where + ": region " + region.path() + " of " + size + " bytes is too small for " + geo.slotCount()
              + " slots and one block (expected: at least " + least + " bytes)");
    }
    region.setVolatile(CxlLayout.MAGIC_OFFSET, 0);
    region.segment().asSlice(8, CxlLayout.LOCK_OFFSET - 8).fill((byte) 0);
    region.segment().asSlice(CxlLayout.LOCK_OFFSET + 8, geo.dataOffset() - CxlLayout.LOCK_OFFSET - 8).fill((byte) 0);
    geo.write(region.segment());
    region.setLong(CxlLayout.GENERATION_OFFSET, generation);
    region.setLong(CxlLayout.FREE_SLOTS_OFFSET, geo.slotCount());
    region.setVolatile(CxlLayout.MAGIC_OFFSET, CxlLayout.MAGIC);
    return geo;
  }

  /**
   * Repairs the region (see the class comment); returns how many stores that dead processes left
   * unfinished it reclaimed. Counts what it finds corrupt in {@code corrupt}.
   */
  static int repair(CxlRegion region, CxlSlotTable slots, CxlIndex index, CxlAllocator allocator, CxlHolds holds,
      LongAdder corrupt) {
    Set<Long> live = holds.reapDeadLocked();
    int abandonedWrites = 0;
    // 1. Undo what dead processes left half-done; drop impossible slots; newest version per id.
    Map<CxlHash, Integer> newest = new HashMap<>();
    for (int s = 0; s < slots.count(); s++) {
      long state = slots.state(s);
      long owner = slots.owner(s);
      if (state == WRITING && !live.contains(owner)) {
        slots.setState(s, FREE);
        abandonedWrites++;
      } else if (state == EVICTING && !live.contains(owner)) {
        slots.setState(s, COMMITTED);
      } else if (state != FREE && state != WRITING && state != COMMITTED && state != EVICTING && state != RETIRED) {
        corrupt.increment();
        slots.setState(s, FREE);
      }
      if (CxlLayout.isVisible(slots.state(s))) {
        CxlHash h = slots.hash(s);
        Integer other = newest.putIfAbsent(h, s);
        if (other != null) {
          int older = slots.seq(other) < slots.seq(s) ? other : s;
          newest.put(h, older == s ? other : s);
          slots.setState(older, RETIRED);
        }
      }
    }
    // 2. Rebuild the block bitmap from the slots, freeing unheld retired slots and overlaps.
    allocator.resetBitmapLocked();
    long used = 0;
    long free = 0;
    long retired = 0;
    for (int s = 0; s < slots.count(); s++) {
      long state = slots.state(s);
      if (state == RETIRED && !holds.heldAnywhere(s)) {
        state = slots.setState(s, FREE);
      }
      if (state != FREE && !allocator.markExtentLocked(s)) {
        corrupt.increment();
        newest.values().remove(s);
        state = slots.setState(s, FREE);
      }
      if (state == FREE) {
        free++;
      } else {
        used += CxlLayout.blocksFor(slots.recordLength(s), allocator.blockBytes());
        if (state == RETIRED) {
          retired++;
        }
      }
    }
    // 3. Rebuild the index and the counters.
    index.rebuildLocked(newest);
    allocator.setCountersLocked(used, free, retired);
    long maxSeq = region.getLong(CxlLayout.COMMIT_SEQ_OFFSET);
    for (int s : newest.values()) {
      maxSeq = Math.max(maxSeq, slots.seq(s));
    }
    region.setVolatile(CxlLayout.COMMIT_SEQ_OFFSET, maxSeq);
    return abandonedWrites;
  }
}
