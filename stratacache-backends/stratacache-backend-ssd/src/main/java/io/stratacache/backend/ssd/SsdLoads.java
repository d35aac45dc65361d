package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CodecException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An {@link SsdLayer}'s loads: from an index entry to an {@link SsdLease} on its record's shared
 * mapping, and the lease's way back when it closes; counts the hits, misses and open leases that
 * {@link SsdLayer#stats()} reports. Thread-safe: it takes the index's locks as {@link SsdIndex}
 * describes (the record is opened under its stripe's read lock).
 *
 * <p><b>Loads.</b> A record file is mapped read-only once and the mapping shared: each lease takes
 * a reference, and its view is the mapping's own payload segment, whose shared arena is closed
 * when the mapping is unmapped: one arena close per mapping, none per lease. A segment kept past
 * its lease's close reads the record's own bytes (a record file is never written in place) until
 * the mapping is unmapped, and faults from then on; the mapping outlives its last lease (up to
 * {@value SsdMappings#IDLE} idle ones, least recently used unmapped first) so that the next load of
 * the record skips the open, the mapping and its page faults. Mapping rather than reading into
 * memory the lease owns is a measured choice ({@code SsdLeaseStrategyBenchmark}): from 4 MiB up it
 * is 1.5 to 3 times faster, since a copy target must be zeroed and faulted in or pooled, and copied
 * into; at 1 MiB a fresh mapping loses to a pooled read, which the shared mapping makes up for on
 * repeated loads. Each load checks magic, header checksum and size against the index, and the
 * payload's CRC32C: with {@code verify: once} (the default) on the first load of each record
 * version, with {@code verify: always} on each lease's first read (see {@link SsdLease}). A mapping keeps the bytes of its file after the file is unlinked or renamed over, and
 * records are never written in place, so deleting or replacing an artifact never disturbs an open
 * lease; the mapping of a record that is gone is unmapped with its last lease. A record that fails
 * a check is moved to {@code corrupt/}, counted in {@link LayerStats#corrupt()} and reported
 * absent.
 */
final class SsdLoads {
  private final SsdIndex index;
  private final SsdMappings mappings;
  private final String tier;
  private final boolean verifyEveryLoad;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final AtomicLong openLeases = new AtomicLong();

  /**
   * @param tier the tier's name, as leases report it
   * @param verifyEveryLoad whether each lease checks the payload on its first read ({@code verify:
   *     always}) rather than the first load of each record version
   */
  SsdLoads(SsdIndex index, String tier, boolean verifyEveryLoad) {
    this.index = index;
    this.mappings = index.mappings;
    this.tier = tier;
    this.verifyEveryLoad = verifyEveryLoad;
  }

  /** The tier's name. */
  String tier() {
    return tier;
  }

  long hits() {
    return hits.sum();
  }

  long misses() {
    return misses.sum();
  }

  long openLeases() {
    return openLeases.get();
  }

  /**
   * A lease on {@code id}'s record, or null if it is absent, expired, gone or fails its checks (see
   * {@link SsdLayer#get}).
   */
  Lease get(ArtifactId id) {
    SsdEntry e;
    SsdMappings.Mapping m = null;
    FileChannel ch = null;
    boolean stale = false;
    String link = null;
    ReentrantReadWriteLock.ReadLock r = index.stripe(id).readLock();
    r.lock();
    try {
      index.state.lock();
      try {
        e = index.getLocked(id);
        if (e == null) {
          misses.increment();
          return null;
        }
        long now = index.now();
        if (index.isExpiredLocked(e, now)) {
          stale = true;
        } else {
          index.leaseLocked(e, now);
          m = mappings.takeLocked(e);
        }
      } finally {
        index.state.unlock();
      }
      if (!stale && m == null) {
        try {
          ch = SsdRecordFiles.openRecord(index.fileOf(e));
        } catch (NoSuchFileException | AccessDeniedException x) {
          ch = null;
        } catch (CodecException x) {
          link = x.getMessage();
        } catch (IOException x) {
          releaseLease(e, null);
          throw index.failure("cannot open " + index.fileOf(e), x);
        }
      }
    } finally {
      r.unlock();
    }
    if (stale) {
      index.expire(e);
      misses.increment();
      return null;
    }
    String corruptReason = link;
    if (link != null) {
      releaseLease(e, null);
    } else if (m == null) {
      if (ch == null) {
        releaseLease(e, null);
        index.forget(e, "its file " + index.fileOf(e) + " vanished");
        misses.increment();
        return null;
      }
      try {
        m = mappings.map(e, ch);
      } catch (IOException x) {
        throw index.failure("cannot read " + index.fileOf(e), x);
      } catch (CodecException x) {
        corruptReason = x.getMessage();
      } finally {
        if (m == null) {
          releaseLease(e, null);
        }
      }
    }
    if (m != null) {
      boolean leased = false;
      try {
        boolean checkOnRead = verifyEveryLoad;
        if (!checkOnRead && !e.verified) {
          RecordCodec.verifyPayload(m.header, m.payload);
          e.verified = true;
        }
        Lease lease = new SsdLease(this, e, m, !checkOnRead);
        openLeases.incrementAndGet();
        hits.increment();
        leased = true;
        return lease;
      } catch (CodecException x) {
        corruptReason = x.getMessage();
      } finally {
        if (!leased) {
          releaseLease(e, m);
        }
      }
    }
    index.quarantine(e, corruptReason);
    misses.increment();
    return null;
  }

  /**
   * A lease found {@code e}'s payload failing its checksum on its first read: quarantines the record
   * and returns the error for the lease to throw.
   */
  CodecException failedCheck(SsdEntry e, CodecException failure) {
    index.quarantine(e, failure.getMessage());
    return failure;
  }

  /** A lease on {@code e} over {@code m} was closed. */
  void release(SsdEntry e, SsdMappings.Mapping m) {
    openLeases.decrementAndGet();
    releaseLease(e, m);
  }

  /** Gives back a lease count on {@code e} and, if not null, a reference to {@code m}. */
  private void releaseLease(SsdEntry e, SsdMappings.Mapping m) {
    index.state.lock();
    try {
      e.leases--;
      if (m != null) {
        mappings.releaseLocked(e, m);
      }
    } finally {
      index.state.unlock();
    }
    mappings.drainUnmaps();
  }
}
