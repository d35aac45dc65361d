package io.stratacache.backend.cxl;

import static io.stratacache.backend.cxl.CxlLayout.COMMITTED;
import static io.stratacache.backend.cxl.CxlLayout.EVICTING;
import static io.stratacache.backend.cxl.CxlLayout.FREE;
import static io.stratacache.backend.cxl.CxlLayout.RETIRED;
import static io.stratacache.backend.cxl.CxlLayout.WRITING;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CodecException;
import io.stratacache.core.codec.RecordLayout;
import io.stratacache.spi.CheckReport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@link io.stratacache.spi.Checkable#check} for a region: runs under the region lock, with no
 * other live process attached (the layer refuses otherwise).
 *
 * <p>What it looks at, and what repair does with it:
 *
 * <ul>
 *   <li><b>Visible slots</b> ({@code COMMITTED}, {@code EVICTING}): each record is checked in full
 *       (extent, magic, header checksum, lengths, payload CRC32C, slot's copy of the checksum). A
 *       record that fails is <em>corrupt</em>; repair drops it (the region has no room to keep it
 *       aside: its id, if readable, and slot are in the findings).
 *   <li><b>Damaged slots</b>: a state that is none of the five, or a visible slot whose extent
 *       lies outside the data area; <em>corrupt</em>, freed by repair.
 *   <li><b>Orphans</b>: slots that hold room but that no index entry will ever point at: a
 *       {@code WRITING} slot of a process that is gone, a {@code RETIRED} slot no live process
 *       holds; and blocks marked used that no slot owns. Repair frees them.
 *   <li><b>Index mismatches</b>: a visible slot the index does not point at, two visible versions
 *       of one id, a bucket that points at a slot that is not visible or holds another hash, and
 *       counters (artifacts, used blocks, free slots) that disagree with the slots. Repair rebuilds
 *       the index, the block bitmap and the counters from the slots ({@link CxlFormat#repair}).
 * </ul>
 *
 * <p>A second repair finds nothing; no valid record is ever dropped.
 */
final class CxlCheck {
  private final String tier;
  private final CxlRegion region;
  private final CxlLayout.Geometry g;
  private final CxlSlotTable slots;
  private final CxlIndex index;
  private final CxlAllocator allocator;
  private final CxlHolds holds;
  private final Runnable renewLock;

  private long checked;
  private long valid;
  private long corrupt;
  private long orphans;
  private long mismatches;
  private final List<String> findings = new ArrayList<>();
  private final List<Integer> drop = new ArrayList<>();

  /** @param renewLock extends the region lock's lease, called now and then during a long check */
  CxlCheck(String tier, CxlRegion region, CxlLayout.Geometry g, CxlSlotTable slots, CxlIndex index,
      CxlAllocator allocator, CxlHolds holds, Runnable renewLock) {
    this.tier = tier;
    this.region = region;
    this.g = g;
    this.slots = slots;
    this.index = index;
    this.allocator = allocator;
    this.holds = holds;
    this.renewLock = renewLock;
  }

  /** Checks, and with {@code repair} repairs, the region; under the region lock. */
  CheckReport run(boolean repair, LongAdder corruptCounter) {
    Set<Long> live = Set.of(holds.me());
    Map<CxlHash, Integer> visible = new HashMap<>();
    long usedBlocks = 0;
    long freeSlots = 0;
    for (int s = 0; s < slots.count(); s++) {
      if ((s & 1023) == 1023) {
        renewLock.run();
      }
      long state = slots.state(s);
      if (state == FREE) {
        freeSlots++;
        continue;
      }
      if (state != WRITING && state != COMMITTED && state != EVICTING && state != RETIRED) {
        corrupt("slot " + s + ": state " + state + " (expected: 0 to 4): damaged slot header", s);
        continue;
      }
      if (!extentInside(s)) {
        corrupt("slot " + s + ": record at " + slots.recordOffset(s) + " of " + slots.recordLength(s)
            + " bytes lies outside the data area of " + g.dataBytes() + " bytes: damaged slot header", s);
        continue;
      }
      usedBlocks += g.blocksOf(slots.recordLength(s));
      if (state == WRITING) {
        if (!live.contains(slots.owner(s))) {
          orphan("slot " + s + ": a store left unfinished by a process that is gone", s);
        }
        continue;
      }
      if (state == RETIRED) {
        if (!holds.heldAnywhere(s)) {
          orphan("slot " + s + ": retired and held by no process, its room not given back", s);
        }
        continue;
      }
      checked++;
      ArtifactId id = slots.idOf(s);
      try {
        slots.check(s, null, -1);
      } catch (CodecException e) {
        corrupt("slot " + s + (id == null ? "" : " (" + id + ")") + ": " + e.getMessage(), s);
        continue;
      }
      CxlHash h = slots.hash(s);
      if (id == null || !CxlHash.of(id).equals(h)) {
        corrupt("slot " + s + ": its hash is not that of the id its record holds (" + id + "): damaged slot header", s);
        continue;
      }
      valid++;
      Integer other = visible.putIfAbsent(h, s);
      if (other != null) {
        mismatch("slots " + other + " and " + s + " both hold " + id + " (expected: one visible version)");
      } else if (index.lookupLocked(h) != s) {
        mismatch("slot " + s + " (" + id + ") is visible but the index does not point at it");
      }
    }
    checkBuckets();
    checkCounters(visible.size(), usedBlocks, freeSlots);
    if (repair && (corrupt + orphans + mismatches) > 0) {
      for (int s : drop) {
        slots.setState(s, FREE);
      }
      CxlFormat.repair(region, slots, index, allocator, holds, new LongAdder());
      corruptCounter.add(corrupt);
    }
    return new CheckReport(tier, checked, valid, corrupt, orphans, mismatches, repair, findings);
  }

  private boolean extentInside(int s) {
    long off = slots.recordOffset(s);
    long len = slots.recordLength(s);
    return off >= 0 && len >= RecordLayout.PREFIX_BYTES && off % g.blockBytes() == 0 && off + len <= g.dataBytes()
        && off + len > off;
  }

  private void checkBuckets() {
    for (long b = 0; b < g.buckets(); b++) {
      long v = region.getVolatile(g.bucket(b));
      if (v == 0) {
        continue;
      }
      int s = (int) v - 1;
      if (s < 0 || s >= g.slotCount()) {
        mismatch("index bucket " + b + " points at slot " + s + " (expected: 0 to " + (g.slotCount() - 1) + ")");
      } else if (!CxlLayout.isVisible(slots.state(s))) {
        mismatch("index bucket " + b + " points at slot " + s + ", which holds no visible record");
      } else if ((int) (v >>> 32) != slots.hash(s).fragment()) {
        mismatch("index bucket " + b + " points at slot " + s + ", which holds another id");
      }
    }
  }

  private void checkCounters(long artifacts, long usedBlocks, long freeSlots) {
    if (index.artifacts() != artifacts) {
      mismatch("the region counts " + index.artifacts() + " artifacts (expected: " + artifacts + " visible)");
    }
    if (allocator.freeSlots() != freeSlots) {
      mismatch("the region counts " + allocator.freeSlots() + " free slots (expected: " + freeSlots + ")");
    }
    long marked = 0;
    for (long w = 0; w < g.bitmapWordCount(); w++) {
      marked += Long.bitCount(region.getLong(g.bitmapOffset() + w * 8));
    }
    long tail = g.bitmapWordCount() * 64 - g.dataBlocks();
    marked -= tail;
    if (marked > usedBlocks) {
      orphans++;
      findings.add((marked - usedBlocks) + " blocks are marked used that no slot owns");
    } else if (marked < usedBlocks) {
      mismatch(marked + " blocks are marked used (expected: " + usedBlocks + ", the slots' extents)");
    }
    if (allocator.usedBlocks() != usedBlocks) {
      mismatch("the region counts " + allocator.usedBlocks() + " used blocks (expected: " + usedBlocks + ")");
    }
  }

  private void corrupt(String finding, int s) {
    corrupt++;
    findings.add(finding);
    drop.add(s);
  }

  private void orphan(String finding, int s) {
    orphans++;
    findings.add(finding);
    drop.add(s);
  }

  private void mismatch(String finding) {
    mismatches++;
    findings.add(finding);
  }
}
