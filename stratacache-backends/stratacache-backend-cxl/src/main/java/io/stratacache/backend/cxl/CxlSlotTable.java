package io.stratacache.backend.cxl;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CodecException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.core.codec.RecordLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.LongSupplier;

/**
 * The object table of a region: one {@link CxlLayout#SLOT_BYTES}-byte slot per record, read and
 * written with the orderings the commit protocol needs, and the checks of the record a slot
 * points at.
 *
 * <p>A slot's state moves {@code FREE -> WRITING -> COMMITTED <-> EVICTING -> RETIRED -> FREE}
 * (see {@link CxlLayout}). The fields a loader reads are written before the state is published
 * with a release store, so a loader that sees {@code COMMITTED} sees them too.
 *
 * <p>With {@code verify: once} the table remembers, per slot, the commit whose payload this
 * process wrote (checksumming it as it copied) or already checked, and skips the payload pass for
 * it. A commit is identified by its sequence number, unique over the region's life (a slot
 * reused, or rewritten by any process, gets a new one), so a rewrite by another process is always
 * checked again.
 */
final class CxlSlotTable {
  private final CxlRegion region;
  private final CxlLayout.Geometry g;
  private final int alignment;
  private final boolean verifyEveryLoad;
  private final LongSupplier clockMillis;
  /** Per slot, the commit whose payload this process wrote or checked ({@code verify: once}). */
  private final long[] verifiedSeq;

  private static final VarHandle VERIFIED = MethodHandles.arrayElementVarHandle(long[].class);

  /** @param clockMillis the wall clock, in milliseconds, of the slots' stamps (all processes share it) */
  CxlSlotTable(CxlRegion region, CxlLayout.Geometry g, boolean verifyEveryLoad, LongSupplier clockMillis) {
    this.clockMillis = clockMillis;
    this.region = region;
    this.g = g;
    this.alignment = g.alignment();
    this.verifyEveryLoad = verifyEveryLoad;
    this.verifiedSeq = new long[g.slotCount()];
  }

  int count() {
    return g.slotCount();
  }

  long state(int s) {
    return region.getVolatile(g.slot(s) + CxlLayout.SLOT_STATE);
  }

  long setState(int s, long state) {
    region.setVolatile(g.slot(s) + CxlLayout.SLOT_STATE, state);
    return state;
  }

  /** Publishes {@code state} after every field written before it (a release store). */
  void publishState(int s, long state) {
    region.setRelease(g.slot(s) + CxlLayout.SLOT_STATE, state);
  }

  long seq(int s) {
    return region.getVolatile(g.slot(s) + CxlLayout.SLOT_SEQ);
  }

  long owner(int s) {
    return region.getLong(g.slot(s) + CxlLayout.SLOT_OWNER);
  }

  void setOwner(int s, long owner) {
    region.setLong(g.slot(s) + CxlLayout.SLOT_OWNER, owner);
  }

  CxlHash hash(int s) {
    long so = g.slot(s);
    return new CxlHash(region.getVolatile(so + CxlLayout.SLOT_HASH_HI), region.getVolatile(so + CxlLayout.SLOT_HASH_LO));
  }

  /** Offset of slot {@code s}'s record from the start of the data area. */
  long recordOffset(int s) {
    return region.getLong(g.slot(s) + CxlLayout.SLOT_RECORD_OFFSET);
  }

  long recordLength(int s) {
    return region.getLong(g.slot(s) + CxlLayout.SLOT_RECORD_LENGTH);
  }

  long stamp(int s) {
    return region.getLong(g.slot(s) + CxlLayout.SLOT_STAMP);
  }

  /** Sets slot {@code s}'s stamp, the time of its last store or load, to now. */
  void touch(int s) {
    region.setLong(g.slot(s) + CxlLayout.SLOT_STAMP, clockMillis.getAsLong());
  }

  /** Now, on the clock of the slots' stamps. */
  long now() {
    return clockMillis.getAsLong();
  }

  /** Fills a free slot for a store by {@code owner} of a record at {@code recordOffset} and publishes it WRITING. */
  void claim(int s, long owner, CxlHash h, long recordOffset, long recordLength) {
    long so = g.slot(s);
    region.setLong(so + CxlLayout.SLOT_OWNER, owner);
    region.setLong(so + CxlLayout.SLOT_HASH_HI, h.hi());
    region.setLong(so + CxlLayout.SLOT_HASH_LO, h.lo());
    region.setLong(so + CxlLayout.SLOT_RECORD_OFFSET, recordOffset);
    region.setLong(so + CxlLayout.SLOT_RECORD_LENGTH, recordLength);
    region.setLong(so + CxlLayout.SLOT_PAYLOAD_LENGTH, 0);
    region.setLong(so + CxlLayout.SLOT_SEQ, 0);
    touch(s);
    publishState(s, CxlLayout.WRITING);
  }

  /** Writes the fields of a finished record; the caller then publishes it COMMITTED. */
  void fillCommit(int s, long seq, long payloadLength, int crc, int headerLength) {
    long so = g.slot(s);
    region.setLong(so + CxlLayout.SLOT_PAYLOAD_LENGTH, payloadLength);
    region.setInt(so + CxlLayout.SLOT_CRC, crc);
    region.setInt(so + CxlLayout.SLOT_HEADER_LENGTH, headerLength);
    region.setLong(so + CxlLayout.SLOT_SEQ, seq);
    touch(s);
  }

  /** Whether slot {@code s} is visible, at commit {@code seq}, and holds {@code h}: what a reader re-checks after taking a hold. */
  boolean isStill(int s, long seq, CxlHash h) {
    return CxlLayout.isVisible(state(s)) && seq(s) == seq && hash(s).equals(h);
  }

  /** The id in slot {@code s}'s record header, or null if the header does not decode. */
  ArtifactId idOf(int s) {
    long off = recordOffset(s);
    long len = recordLength(s);
    if (off < 0 || len < RecordLayout.PREFIX_BYTES || off + len > g.dataBytes()) {
      return null;
    }
    try {
      return RecordCodec.readHeader(region.segment().asSlice(g.dataAt(off), len)).id();
    } catch (CodecException e) {
      return null;
    }
  }

  /**
   * Whether this process may trust slot {@code s}'s payload at commit {@code seq} without reading
   * it: under {@code verify: once}, when this process wrote that commit or already checked it.
   * Under {@code verify: always}, never.
   */
  boolean trusted(int s, long seq) {
    return !verifyEveryLoad && seq > 0 && (long) VERIFIED.getAcquire(verifiedSeq, s) == seq;
  }

  /** Records that this process wrote or checked slot {@code s}'s payload at commit {@code seq}. */
  void markVerified(int s, long seq) {
    if (seq > 0) {
      VERIFIED.setRelease(verifiedSeq, s, seq);
    }
  }

  /**
   * Decodes and checks slot {@code s}'s record against the slot and {@code id} (if not null),
   * payload checksum included unless {@link #trusted} at commit {@code seq} ({@code seq <= 0}:
   * always checked); a payload it checks is then trusted.
   *
   * @throws CodecException naming the slot and what disagrees
   */
  RecordCodec.Record check(int s, ArtifactId id, long seq) {
    RecordCodec.Record rec = checkHeader(s, id);
    if (!trusted(s, seq)) {
      RecordCodec.verifyPayload(rec.header(), rec.payload());
      markVerified(s, seq);
    }
    return rec;
  }

  /**
   * Decodes slot {@code s}'s record and checks everything but the payload's checksum: the extent,
   * the magic, the header's checksum, the id (if {@code id} is not null), and the payload's length
   * and checksum against the slot's copies.
   *
   * @throws CodecException naming the slot and what disagrees
   */
  RecordCodec.Record checkHeader(int s, ArtifactId id) {
    long off = recordOffset(s);
    long len = recordLength(s);
    if (off < 0 || len < 0 || off + len > g.dataBytes() || off + len < off) {
      throw new CodecException("slot " + s + ": record at " + off + " of " + len + " bytes (expected: inside the data area of "
          + g.dataBytes() + " bytes)");
    }
    MemorySegment record = region.segment().asSlice(g.dataAt(off), len);
    RecordCodec.Header h = RecordCodec.readHeader(record);
    long payloadAt = h.payloadOffset(alignment);
    if (payloadAt + h.payloadLength() != len) {
      throw new CodecException("slot " + s + ": record of " + len + " bytes (expected: " + (payloadAt + h.payloadLength()) + ")");
    }
    if (id != null && !h.id().equals(id)) {
      throw new CodecException("slot " + s + ": record holds " + h.id() + " (expected: " + id + ")");
    }
    long so = g.slot(s);
    if (h.payloadCrc() != region.getInt(so + CxlLayout.SLOT_CRC)
        || h.payloadLength() != region.getLong(so + CxlLayout.SLOT_PAYLOAD_LENGTH)) {
      throw new CodecException("slot " + s + ": record checksum or length disagrees with the slot");
    }
    return new RecordCodec.Record(h, record.asSlice(payloadAt, h.payloadLength()));
  }
}
