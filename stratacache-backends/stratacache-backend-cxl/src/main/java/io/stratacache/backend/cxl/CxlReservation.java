package io.stratacache.backend.cxl;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.codec.Crc32c;
import io.stratacache.spi.Reservation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Room claimed in the region for one record: {@link #segment()} is the payload's place in the
 * region itself, so the caller writes it there with no further copy. {@link #commit()} writes the
 * record prefix with the payload's checksum and publishes the slot; {@link #close()} before that
 * gives the room back. Until committed the artifact is invisible to every process, and if this
 * process dies first, recovery reclaims the room.
 */
public final class CxlReservation implements Reservation {
  private final CxlLayer layer;
  final ArtifactId id;
  final CxlHash hash;
  final int slot;
  final byte[] header;
  final long recordAt;
  final long payloadAt;
  final long size;
  private Arena arena;
  private MemorySegment view;
  private boolean checksummed;
  private int crc;
  private boolean done;

  CxlReservation(CxlLayer layer, ArtifactId id, CxlHash hash, int slot, byte[] header, long recordAt, long prefix, long size) {
    this.layer = layer;
    this.id = id;
    this.hash = hash;
    this.slot = slot;
    this.header = header;
    this.recordAt = recordAt;
    this.payloadAt = recordAt + prefix;
    this.size = size;
  }

  @Override
  public ArtifactId id() {
    return id;
  }

  /**
   * The payload's place in the region, exactly the reserved size.
   *
   * @throws IllegalStateException if already committed or closed
   */
  @Override
  public synchronized MemorySegment segment() {
    checkNotDone();
    if (view == null) {
      arena = Arena.ofShared();
      view = layer.view(payloadAt, size, arena);
    }
    checksummed = false;
    return view;
  }

  /** Copies {@code payload} (exactly the reserved size) in, checksumming as it goes ({@link CxlCopy}). */
  synchronized void fill(MemorySegment payload) {
    checkNotDone();
    if (payload.byteSize() != size) {
      throw new IllegalArgumentException("payload of " + payload.byteSize() + " bytes (expected: " + size + ")");
    }
    crc = CxlCopy.copy(payload, layer.view(payloadAt, size, Arena.global()), false);
    checksummed = true;
  }

  @Override
  public synchronized void commit() {
    checkNotDone();
    done = true;
    if (arena != null) {
      arena.close();
    }
    int c = checksummed ? crc : Crc32c.of(layer.view(payloadAt, size, Arena.global()));
    layer.commit(this, c);
  }

  @Override
  public synchronized void close() {
    if (!done) {
      done = true;
      if (arena != null) {
        arena.close();
      }
      layer.abandon(this);
    }
  }

  private void checkNotDone() {
    if (done) {
      throw new IllegalStateException("reservation for " + id + " is already committed or closed");
    }
  }
}
