package io.stratacache.backend.cxl;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CodecException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.spi.Lease;
import java.lang.foreign.MemorySegment;

/**
 * The read path of a {@link CxlLayer}: leases and copies out, with the checks that decide whether
 * a record is served, and the dropping of one that fails them. Takes no lock on the way to a hit.
 *
 * <p><b>When a payload's checksum is checked.</b> Every load checks the slot's state and commit,
 * the record's magic, header checksum, id and lengths, and that the payload checksum in the record
 * agrees with the slot's copy: a few hundred bytes whatever the size. The payload's CRC32C itself
 * is checked:
 *
 * <ul>
 *   <li>with {@code verify: once} (the default), once per commit per process: on the first load
 *       of a commit this process did not write. A commit this process wrote was checksummed from
 *       the bytes as they were copied in; a commit it checked stays trusted until the slot is
 *       rewritten, by any process, which gives it a new commit sequence number. Later leases and
 *       copies of a trusted commit read nothing but the header: O(1) in the payload's size. A stray
 *       write into a trusted record would be served (the checksums still catch it after a restart
 *       and in {@link CxlLayer#check});
 *   <li>with {@code verify: always}, on every load.
 * </ul>
 *
 * <p>An artifact that has expired ({@link CxlExpiry}) is removed and reported absent.
 *
 * <p>{@link #get} checks a payload before returning the lease (a pass over it); {@link #loadInto}
 * checks it while copying it out, one pass over memory. A record that fails is dropped from the
 * index (its room is freed once no process holds it), counted as corrupt, logged, and reported
 * absent.
 */
final class CxlLoads {
  private static final System.Logger LOG = System.getLogger(CxlLoads.class.getName());

  private final CxlLayer layer;
  private final String where;
  private final CxlSlotTable slots;
  private final CxlIndex index;
  private final CxlHolds holds;
  private final CxlAllocator allocator;
  private final CxlGuard guard;
  private final CxlLeaseGroups leaseGroups;
  private final CxlEviction eviction;
  private final CxlExpiry expiry;
  private final CxlCounters counters;

  CxlLoads(CxlLayer layer, String where, CxlSlotTable slots, CxlIndex index, CxlHolds holds, CxlAllocator allocator,
      CxlGuard guard, CxlLeaseGroups leaseGroups, CxlEviction eviction, CxlExpiry expiry, CxlCounters counters) {
    this.expiry = expiry;
    this.layer = layer;
    this.where = where;
    this.slots = slots;
    this.index = index;
    this.holds = holds;
    this.allocator = allocator;
    this.guard = guard;
    this.leaseGroups = leaseGroups;
    this.eviction = eviction;
    this.counters = counters;
  }

  /** A lease of {@code id}, or null if absent or corrupt (then dropped); the layer is entered. */
  Lease get(ArtifactId id) {
    CxlHash h = CxlHash.of(id);
    while (true) {
      int s = index.lookup(h);
      if (s < 0) {
        counters.misses.increment();
        return null;
      }
      long seq = slots.seq(s);
      if (expiry.isExpired(s)) {
        expiry.expire(s, seq, h);
        counters.misses.increment();
        return null;
      }
      holds.hold(s);
      boolean leased = false;
      String corruptReason;
      try {
        if (!slots.isStill(s, seq, h)) {
          continue;
        }
        try {
          RecordCodec.Record rec = slots.check(s, id, seq);
          slots.touch(s);
          layer.retain();
          counters.openLeases.incrementAndGet();
          CxlLeaseGroups.Group group = leaseGroups.join(s, layer::retain);
          leased = true;
          Lease lease = new CxlLease(layer, id, rec.header().meta(), group, leaseGroups.bind(group, rec.payload()));
          counters.hits.increment();
          eviction.loaded(id, h);
          return lease;
        } catch (CodecException e) {
          corruptReason = e.getMessage();
        }
      } finally {
        if (!leased) {
          holds.unhold(s);
        }
      }
      dropCorrupt(s, seq, h, corruptReason);
      counters.misses.increment();
      return null;
    }
  }

  /**
   * Copies {@code id}'s payload into {@code dst} (writable), checking it as it copies if it is to
   * be checked; returns its size, or -1 if absent or corrupt (then dropped). The layer is entered.
   */
  long loadInto(ArtifactId id, MemorySegment dst) {
    CxlHash h = CxlHash.of(id);
    while (true) {
      int s = index.lookup(h);
      if (s < 0) {
        counters.misses.increment();
        return -1;
      }
      long seq = slots.seq(s);
      if (expiry.isExpired(s)) {
        expiry.expire(s, seq, h);
        counters.misses.increment();
        return -1;
      }
      holds.hold(s);
      String corruptReason;
      try {
        if (!slots.isStill(s, seq, h)) {
          continue;
        }
        try {
          long size = copyChecked(s, id, seq, dst);
          slots.touch(s);
          counters.hits.increment();
          eviction.loaded(id, h);
          return size;
        } catch (CodecException e) {
          corruptReason = e.getMessage();
        }
      } finally {
        holds.unhold(s);
        if (slots.state(s) == CxlLayout.RETIRED) {
          guard.run(() -> allocator.freeIfRetiredAndUnheldLocked(s));
        }
      }
      dropCorrupt(s, seq, h, corruptReason);
      counters.misses.increment();
      return -1;
    }
  }

  /** Copies held slot {@code s}'s payload at commit {@code seq} into {@code dst}, checking it. */
  private long copyChecked(int s, ArtifactId id, long seq, MemorySegment dst) {
    RecordCodec.Record rec = slots.checkHeader(s, id);
    MemorySegment payload = rec.payload();
    long size = payload.byteSize();
    if (dst.byteSize() < size) {
      throw new IllegalArgumentException(
          "dst: " + dst.byteSize() + " bytes for " + id + " (expected: at least the payload's " + size + " bytes)");
    }
    if (slots.trusted(s, seq)) {
      MemorySegment.copy(payload, 0, dst, 0, size);
      return size;
    }
    int crc = CxlCopy.copy(payload, dst, true);
    if (crc != rec.header().payloadCrc()) {
      throw new CodecException(String.format(
          "record %s: payload checksum 0x%08x (expected: 0x%08x as stored)", id, crc, rec.header().payloadCrc()));
    }
    slots.markVerified(s, seq);
    return size;
  }

  /** Drops slot {@code s} at commit {@code seq}, found corrupt, if it is still that commit. */
  void dropCorrupt(int s, long seq, CxlHash h, String reason) {
    counters.corrupt.increment();
    LOG.log(System.Logger.Level.WARNING, where + ": dropped a corrupt record in slot " + s + ": " + reason);
    guard.run(() -> {
      if (CxlLayout.isVisible(slots.state(s)) && slots.seq(s) == seq) {
        index.removeLocked(h, s);
        allocator.retireLocked(s);
      }
    });
    if (slots.state(s) == CxlLayout.RETIRED) {
      leaseGroups.retireIdleAndWait(CxlLeaseGroups.CLOSE_WAIT_NANOS); // an idle group of this process may hold it from an earlier lease
    }
  }
}
