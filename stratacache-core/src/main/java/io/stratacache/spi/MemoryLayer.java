package io.stratacache.spi;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.LayerUnavailableException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;

/**
 * One tier of memory: a medium that stores immutable artifacts by id. Implementations are
 * thread-safe; a call on one artifact never waits for I/O on another.
 *
 * <p>Contracts every layer keeps (checked by the conformance kit):
 *
 * <ul>
 *   <li>{@link #put} copies the payload; the caller may reuse its segment afterwards. Storing an
 *       id again replaces the artifact atomically: a load sees the old or the new bytes, never a
 *       mix, and open leases on the old bytes stay valid.
 *   <li>{@link #get} returns a {@link Lease} or {@code null} if absent. Leased bytes are never
 *       evicted or reused until the lease is closed.
 *   <li>An artifact larger than the layer is refused with {@link CapacityException}, and so is
 *       one that cannot fit because every byte is leased or pinned; nothing stored is lost.
 *   <li>To make room a layer evicts unpinned, unleased artifacts in the order of its {@link
 *       EvictionPolicy}, asking its {@link EvictionListener} first.
 *   <li>After {@link #close()} every call other than {@link #name()}, {@link #capabilities()} and
 *       {@link #close()} throws {@link LayerUnavailableException}. Closing a lease or a
 *       reservation left open does nothing harmful.
 * </ul>
 *
 * <p>The interface is kept to twelve methods of its own (plus {@link #close()}) so that a new
 * medium is an afternoon's work. Capacity is read from {@link #stats()}; batch operations are the
 * optional {@link BatchAccess}.
 */
public interface MemoryLayer extends AutoCloseable {
  /** The tier name this layer was opened under (e.g. {@code hot}). */
  String name();

  /**
   * What this layer promises beyond the common contracts. The default is none: a volatile,
   * process-local layer that evicts only through its listener.
   */
  default Set<Capability> capabilities() {
    return Set.of();
  }

  /**
   * Stores a copy of {@code payload} under {@code id}.
   *
   * @throws CapacityException if the artifact cannot fit; nothing already stored is lost
   */
  void put(ArtifactId id, ArtifactMeta meta, MemorySegment payload);

  /**
   * Sets aside {@code size} bytes that the caller fills and then commits. The default copies from
   * a scratch segment on commit; layers that can hand out their own memory override it.
   *
   * @throws CapacityException if the artifact cannot fit
   */
  default Reservation reserve(ArtifactId id, ArtifactMeta meta, long size) {
    return new CopyingReservation(this, id, meta, size);
  }

  /** A lease on the artifact, or {@code null} if this layer does not hold it. */
  Lease get(ArtifactId id);

  /** Whether this layer holds {@code id}. */
  boolean contains(ArtifactId id);

  /** Removes {@code id}; open leases on it stay valid. Returns whether it was present. */
  boolean delete(ArtifactId id);

  /**
   * Pins {@code id}: it will not be evicted until {@link #unpin}ned. Pins nest. Pins belong to the
   * id: they survive a replace of the artifact (so a dirty artifact stored again stays protected)
   * and end with its {@link #delete}. Returns false if the layer does not hold {@code id}.
   */
  boolean pin(ArtifactId id);

  /** Undoes one {@link #pin}. Returns false if {@code id} was not pinned. */
  boolean unpin(ArtifactId id);

  /** A snapshot of the ids held. */
  List<ArtifactId> ids();

  /** Counters. */
  LayerStats stats();

  /** Sets the listener asked before each eviction (replacing {@link EvictionListener#DROP}). */
  void setEvictionListener(EvictionListener listener);

  /**
   * Closes the layer. Volatile layers drop their contents; durable ones keep them for the next
   * open. Idempotent.
   */
  @Override
  void close();

  /** The default {@link Reservation}: a confined scratch segment copied in on commit. */
  final class CopyingReservation implements Reservation {
    private final MemoryLayer layer;
    private final ArtifactId id;
    private final ArtifactMeta meta;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment scratch;
    private boolean done;

    CopyingReservation(MemoryLayer layer, ArtifactId id, ArtifactMeta meta, long size) {
      long capacity = layer.stats().capacityBytes();
      if (size > capacity) {
        throw new CapacityException(
            "tier '" + layer.name() + "': artifact " + id + " of " + size + " bytes (expected: at most the tier's capacity, "
                + capacity + " bytes)");
      }
      this.layer = layer;
      this.id = id;
      this.meta = meta;
      this.scratch = arena.allocate(size, 64);
    }

    @Override
    public ArtifactId id() {
      return id;
    }

    @Override
    public MemorySegment segment() {
      if (done) {
        throw new IllegalStateException("reservation for " + id + " is already committed or closed");
      }
      return scratch;
    }

    @Override
    public void commit() {
      if (done) {
        throw new IllegalStateException("reservation for " + id + " is already committed or closed");
      }
      try {
        layer.put(id, meta, scratch);
      } finally {
        done = true;
        arena.close();
      }
    }

    @Override
    public void close() {
      if (!done) {
        done = true;
        arena.close();
      }
    }
  }
}
