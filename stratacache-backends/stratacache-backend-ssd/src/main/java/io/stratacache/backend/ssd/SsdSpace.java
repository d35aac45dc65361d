package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CapacityException;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.EvictionPolicy;
import io.stratacache.spi.RoomMaker;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/**
 * The capacity of an {@link SsdLayer}: the bytes its records use and the bytes stores in progress
 * have reserved, and its side of the shared {@link RoomMaker} protocol. A store reserves the bytes
 * of its record less those of the version it replaces (the new record is renamed over the old one,
 * which frees the old bytes as it lands), so the replaced version is never evicted to make room
 * for its replacement ({@link #replacementReusesSpace()}).
 *
 * <p>Byte counts are guarded by the {@linkplain SsdIndex index}'s state lock, as are the index and
 * the policy this class reads. Showing a victim to the listener and removing it are {@link
 * SsdEviction}'s: they open and unlink files, the latter under the index's stripe locks.
 */
final class SsdSpace implements RoomMaker.Index<SsdEntry> {
  private final ReentrantLock state;
  private final Map<ArtifactId, SsdEntry> index;
  private final EvictionPolicy policy;
  private final long capacity;
  private final String where;
  private final BiPredicate<SsdEntry, EvictionListener> offer;
  private final Predicate<SsdEntry> remove;
  private final Runnable ensureOpen;
  final RoomMaker<SsdEntry> room;
  private long usedBytes;
  private long reservedBytes;

  /**
   * @param offer shows a victim to the listener, no lock held (see {@link RoomMaker.Index#offer})
   * @param remove removes a victim if it is still removable (see {@link RoomMaker.Index#remove})
   * @param ensureOpen throws if the layer is closed
   */
  SsdSpace(
      ReentrantLock state, Map<ArtifactId, SsdEntry> index, EvictionPolicy policy, long capacity, String where,
      BiPredicate<SsdEntry, EvictionListener> offer, Predicate<SsdEntry> remove, Runnable ensureOpen) {
    this.state = state;
    this.index = index;
    this.policy = policy;
    this.capacity = capacity;
    this.where = where;
    this.offer = offer;
    this.remove = remove;
    this.ensureOpen = ensureOpen;
    this.room = new RoomMaker<>(state, this);
  }

  /**
   * Sets aside room for a record of {@code bytes} stored under {@code id}, evicting as needed;
   * returns the bytes reserved (the record less the version it will replace). Called without the
   * state lock.
   *
   * @throws CapacityException if no room can be made
   */
  long reserve(ArtifactId id, long bytes) {
    Room space = new Room(id, bytes);
    room.makeRoom(id, space);
    return space.reserved;
  }

  /** Gives back a reservation whose store failed. Called without the state lock. */
  void unreserve(long reservation) {
    state.lock();
    try {
      reservedBytes -= reservation;
    } finally {
      state.unlock();
    }
  }

  /** A record of {@code size} bytes joined the index, for a reservation of {@code reservation}. */
  void addedLocked(long size, long reservation) {
    reservedBytes -= reservation;
    usedBytes += size;
  }

  /** A record of {@code size} bytes left the index (removed, or replaced by a newer one). */
  void removedLocked(long size) {
    usedBytes -= size;
  }

  /** Bytes of the records in the index. */
  long usedLocked() {
    return usedBytes;
  }

  // ---------------------------------------------------------------------------------------------
  // the index as the make-room protocol sees it

  @Override
  public ArtifactId id(SsdEntry e) {
    return e.id;
  }

  @Override
  public SsdEntry current(ArtifactId id) {
    return index.get(id);
  }

  @Override
  public Iterator<SsdEntry> candidates() {
    return RoomMaker.inPolicyOrder(policy, index::get);
  }

  @Override
  public boolean leased(SsdEntry e) {
    return e.leases > 0;
  }

  @Override
  public boolean offer(SsdEntry victim, EvictionListener listener) {
    return offer.test(victim, listener);
  }

  @Override
  public boolean remove(SsdEntry victim) {
    return remove.test(victim);
  }

  @Override
  public boolean replacementReusesSpace() {
    return true;
  }

  /** The bytes one store needs, less those of the version it replaces. Under the state lock. */
  private final class Room implements RoomMaker.Space<SsdEntry> {
    private final ArtifactId id;
    private final long bytes;
    long reserved;

    Room(ArtifactId id, long bytes) {
      this.id = id;
      this.bytes = bytes;
    }

    private long need() {
      SsdEntry current = index.get(id);
      return Math.max(0, bytes - (current == null ? 0 : current.size));
    }

    @Override
    public boolean tryTake() {
      ensureOpen.run();
      long need = need();
      if (usedBytes + reservedBytes + need > capacity) {
        return false;
      }
      reservedBytes += need;
      reserved = need;
      return true;
    }

    @Override
    public boolean fitsAfterEvicting(Predicate<SsdEntry> reclaimable) {
      return stays(reclaimable) + reservedBytes + need() <= capacity;
    }

    private long stays(Predicate<SsdEntry> reclaimable) {
      long stays = 0;
      for (SsdEntry e : index.values()) {
        if (!reclaimable.test(e)) {
          stays += e.size;
        }
      }
      return stays;
    }

    @Override
    public CapacityException noRoom(int kept, boolean evictedNothing) {
      return new CapacityException(
          where + ": no room for " + id + " (" + bytes + " bytes): of " + capacity + " bytes, "
              + stays(room::evictableLocked) + " are held by leased, pinned or replaced artifacts or artifacts being"
              + " evicted, " + reservedBytes + " reserved by stores in progress"
              + (kept == 0 ? "" : ", and the eviction listener kept " + kept + " artifacts")
              + (evictedNothing ? "; nothing was evicted" : "")
              + " (expected: room after evicting unleased, unpinned artifacts)");
    }
  }
}
