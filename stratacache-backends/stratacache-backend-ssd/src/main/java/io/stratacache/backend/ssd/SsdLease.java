package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CodecException;
import io.stratacache.core.LeaseClosedException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.spi.Lease;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.CRC32C;

/**
 * A lease on a record file's shared read-only {@linkplain SsdMappings.Mapping mapping}: its view is
 * the mapping's payload, which lives in the mapping's shared arena. Taking and closing a lease
 * costs no arena operation and no pass over the payload; a segment kept past {@link #close()}
 * reads the record's own bytes until the mapping is unmapped and faults from then on, never
 * reading anything else.
 *
 * <p><b>Checked on first read.</b> A lease handed out unchecked ({@code verify: always}) checks
 * the payload against its CRC32C when its bytes are first read: {@link #segment()} in a pass of its
 * own before returning the view, {@link #copyTo} while it copies, block by block ({@value #BLOCK}
 * bytes, each checksummed while it is still in cache after its copy), so a verified copy is one
 * pass over memory. A mismatch quarantines the record (as a failed load does) and throws {@link
 * CodecException}: the caller never gets the bytes as valid. This is why the class implements
 * {@link Lease} itself instead of extending {@code ArenaScopedLease}, whose accessors cannot defer
 * a check.
 */
final class SsdLease implements Lease {
  /** Bytes copied and then checksummed at a time: well inside the L2 cache. */
  static final int BLOCK = 256 * 1024;

  private final SsdLoads loads;
  private final SsdEntry entry;
  private final SsdMappings.Mapping mapping;
  private final MemorySegment payload;
  private final AtomicBoolean open = new AtomicBoolean(true);
  private volatile boolean checked;

  /**
   * @param checked whether the payload was already verified (else the first read verifies it)
   */
  SsdLease(SsdLoads loads, SsdEntry entry, SsdMappings.Mapping mapping, boolean checked) {
    this.loads = loads;
    this.entry = entry;
    this.mapping = mapping;
    this.payload = mapping.payload;
    this.checked = checked;
  }

  @Override
  public ArtifactId id() {
    return entry.id;
  }

  @Override
  public ArtifactMeta meta() {
    checkOpen();
    return mapping.header.meta();
  }

  @Override
  public String tier() {
    return loads.tier();
  }

  /**
   * {@inheritDoc}
   *
   * @throws CodecException if this is the first read of an unchecked lease and the payload fails
   *     its checksum (the record is quarantined)
   */
  @Override
  public MemorySegment segment() {
    checkOpen();
    if (!checked) {
      try {
        RecordCodec.verifyPayload(mapping.header, payload);
      } catch (CodecException e) {
        throw loads.failedCheck(entry, e);
      }
      passed();
    }
    return payload;
  }

  @Override
  public long size() {
    return payload.byteSize();
  }

  @Override
  public boolean isOpen() {
    return open.get();
  }

  /**
   * {@inheritDoc}
   *
   * @throws CodecException if the lease is unchecked and the payload fails its checksum (the record
   *     is quarantined; what {@code dst} holds is then undefined)
   * @throws IndexOutOfBoundsException if {@code dst} is smaller than the payload
   */
  @Override
  public void copyTo(MemorySegment dst) {
    Objects.requireNonNull(dst, "dst");
    checkOpen();
    long n = payload.byteSize();
    if (checked) {
      MemorySegment.copy(payload, 0, dst, 0, n);
      return;
    }
    if (dst.byteSize() < n) {
      throw new IndexOutOfBoundsException(
          "dst: " + dst.byteSize() + " bytes for " + entry.id + " (expected: at least " + n + ")");
    }
    CRC32C crc = new CRC32C();
    for (long off = 0; off < n; off += BLOCK) {
      long len = Math.min(BLOCK, n - off);
      MemorySegment.copy(payload, off, dst, off, len);
      crc.update(payload.asSlice(off, len).asByteBuffer());
    }
    int actual = (int) crc.getValue();
    if (actual != mapping.header.payloadCrc()) {
      throw loads.failedCheck(entry, new CodecException(String.format(
          "record %s: payload checksum 0x%08x (expected: 0x%08x as stored)", entry.id, actual, mapping.header.payloadCrc())));
    }
    passed();
  }

  private void passed() {
    checked = true;
    entry.verified = true;
  }

  @Override
  public void close() {
    if (open.compareAndSet(true, false)) {
      loads.release(entry, mapping);
    }
  }

  private void checkOpen() {
    if (!open.get()) {
      throw new LeaseClosedException("lease on " + entry.id + " from tier '" + loads.tier() + "' is closed", null);
    }
  }

  @Override
  public String toString() {
    return "SsdLease[" + entry.id + " in " + loads.tier() + ", " + payload.byteSize() + " bytes" + (isOpen() ? "" : ", closed")
        + "]";
  }
}
