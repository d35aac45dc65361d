package io.stratacache.testkit;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.ArenaScopedLease;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.EvictionPolicy;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.RoomMaker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The reference layer: a small, correct {@link MemoryLayer} that keeps each artifact in a {@code
 * byte[]} on the Java heap, and passes the conformance kit. It is as plain as a layer can be, to
 * read beside the kit and to stand in for a real tier in tests ({@code HeapLayer::new} is a {@link
 * LayerFactory}).
 *
 * <p>Design: one lock guards the index, the eviction policy and the counters; no I/O happens under
 * it. Making room (victims in policy order, the eviction listener asked without the lock, pins,
 * refusal before anything is evicted, the replaced-version rule) is the SPI's shared {@link
 * RoomMaker}, to which the layer describes its index. A lease copies the bytes into an arena of
 * its own, closed with the lease, so a segment kept past the lease's close raises (one copy and one
 * arena close per lease: simple, not fast). An artifact replaced or deleted while leased keeps its
 * bytes counted in {@code usedBytes} until its last lease closes.
 */
public final class HeapLayer implements MemoryLayer {
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  private final String name;
  private final long capacity;
  private final EvictionPolicy policy;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<ArtifactId, Entry> entries = new HashMap<>();
  private final RoomMaker<Entry> room = new RoomMaker<>(lock, new RoomIndex());
  private volatile boolean closed;
  private long used;
  private long openLeases;
  private long hits;
  private long misses;
  private long puts;

  /** One stored version of an artifact. Guarded by the lock. */
  private static final class Entry {
    final ArtifactId id;
    final ArtifactMeta meta;
    final byte[] bytes;
    int leases;
    boolean retired;

    Entry(ArtifactId id, ArtifactMeta meta, byte[] bytes) {
      this.id = id;
      this.meta = meta;
      this.bytes = bytes;
    }
  }

  /**
   * @param tier the tier name
   * @param capacityBytes payload bytes the layer may hold, positive
   * @param evictionPolicy {@code lru}, {@code fifo} or {@code s3fifo}
   */
  public HeapLayer(String tier, long capacityBytes, String evictionPolicy) {
    this.name = Objects.requireNonNull(tier, "tier");
    if (capacityBytes <= 0) {
      throw new IllegalArgumentException("capacityBytes: " + capacityBytes + " (expected: > 0)");
    }
    this.capacity = capacityBytes;
    this.policy = EvictionPolicy.forName(Objects.requireNonNull(evictionPolicy, "evictionPolicy"));
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void put(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(meta, "meta");
    long size = Objects.requireNonNull(payload, "payload").byteSize();
    checkOpen();
    if (size > MAX_ARRAY) {
      throw room.refuse(new CapacityException("tier '" + name + "': artifact " + id + " of " + size
          + " bytes (expected: at most " + MAX_ARRAY + " bytes, the largest Java array)"));
    }
    Entry fresh = new Entry(id, meta, payload.toArray(ValueLayout.JAVA_BYTE));
    room.makeRoom(id, new Room(fresh));
    lock.lock();
    try {
      checkOpen();
      Entry old = entries.put(id, fresh);
      if (old != null) {
        release(old);
      }
      policy.onInsert(id, size);
      puts++;
    } finally {
      lock.unlock();
    }
  }

  /** The space one store needs: its array's length, counted in {@code used} once taken. */
  private final class Room implements RoomMaker.Space<Entry> {
    private final Entry fresh;

    Room(Entry fresh) {
      this.fresh = fresh;
    }

    @Override
    public boolean tryTake() {
      checkOpen();
      if (capacity - used < fresh.bytes.length) {
        return false;
      }
      used += fresh.bytes.length;
      return true;
    }

    @Override
    public boolean fitsAfterEvicting(Predicate<Entry> reclaimable) {
      long free = capacity - used;
      for (Entry e : entries.values()) {
        if (reclaimable.test(e)) {
          free += e.bytes.length;
        }
      }
      return free >= fresh.bytes.length;
    }

    @Override
    public CapacityException noRoom(int kept, boolean evictedNothing) {
      return new CapacityException("tier '" + name + "': artifact " + fresh.id + " of " + fresh.bytes.length
          + " bytes does not fit in " + capacity + " bytes (" + (capacity - used) + " free; the rest leased, pinned"
          + (kept > 0 ? " or kept by the eviction listener (" + kept + ")" : "") + ")");
    }
  }

  /** How {@link RoomMaker} sees the index; called with the lock held except where noted. */
  private final class RoomIndex implements RoomMaker.Index<Entry> {
    @Override
    public ArtifactId id(Entry e) {
      return e.id;
    }

    @Override
    public Entry current(ArtifactId id) {
      return entries.get(id);
    }

    @Override
    public Iterator<Entry> candidates() {
      return RoomMaker.inPolicyOrder(policy, entries::get);
    }

    @Override
    public boolean leased(Entry e) {
      return e.leases > 0;
    }

    /** Called without the lock; the victim's array is never written, so it may be shown as is. */
    @Override
    public boolean offer(Entry victim, EvictionListener listener) {
      return listener.beforeEvict(name, victim.id, victim.meta, MemorySegment.ofArray(victim.bytes).asReadOnly());
    }

    /** Called without the lock. */
    @Override
    public boolean remove(Entry victim) {
      lock.lock();
      try {
        if (closed || !room.removableLocked(victim)) {
          return false;
        }
        drop(victim);
        return true;
      } finally {
        lock.unlock();
      }
    }
  }

  /** Removes {@code e}, current, from the index. Lock held. */
  private void drop(Entry e) {
    entries.remove(e.id);
    policy.onRemove(e.id);
    room.unpinAllLocked(e.id);
    release(e);
  }

  /** {@code e} left the index: its bytes stop counting now, or when its last lease closes. */
  private void release(Entry e) {
    if (e.leases == 0) {
      used -= e.bytes.length;
    } else {
      e.retired = true;
    }
  }

  @Override
  public Lease get(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    Entry e;
    lock.lock();
    try {
      checkOpen();
      e = entries.get(id);
      if (e == null) {
        misses++;
        return null;
      }
      hits++;
      e.leases++;
      openLeases++;
      policy.onAccess(id);
    } finally {
      lock.unlock();
    }
    return new HeapLease(e);
  }

  @Override
  public boolean contains(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      checkOpen();
      return entries.containsKey(id);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean delete(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      checkOpen();
      Entry e = entries.get(id);
      if (e == null) {
        return false;
      }
      drop(e);
      return true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean pin(ArtifactId id) {
    checkOpen();
    return room.pin(id);
  }

  @Override
  public boolean unpin(ArtifactId id) {
    checkOpen();
    return room.unpin(id);
  }

  @Override
  public List<ArtifactId> ids() {
    lock.lock();
    try {
      checkOpen();
      return List.copyOf(entries.keySet());
    } finally {
      lock.unlock();
    }
  }

  @Override
  public LayerStats stats() {
    lock.lock();
    try {
      checkOpen();
      return new LayerStats(name, capacity, used, entries.size(), openLeases, room.pinnedLocked(), hits, misses, puts,
          room.evictions(), room.rejected(), 0);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void setEvictionListener(EvictionListener listener) {
    Objects.requireNonNull(listener, "listener");
    checkOpen();
    room.setListener(listener);
  }

  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      entries.clear();
    } finally {
      lock.unlock();
    }
    room.close();
  }

  private void checkOpen() {
    if (closed) {
      throw new LayerUnavailableException("tier '" + name + "' is closed");
    }
  }

  /**
   * A copy of one entry's bytes in an arena of the lease's own, closed with the lease, so that a
   * segment kept past {@link #close()} raises instead of reading on.
   */
  private final class HeapLease extends ArenaScopedLease {
    private final Entry entry;

    HeapLease(Entry entry) {
      super(entry.id, name, entry.meta,
          arena -> arena.allocate(Math.max(1, entry.bytes.length)).asSlice(0, entry.bytes.length)
              .copyFrom(MemorySegment.ofArray(entry.bytes)));
      this.entry = entry;
    }

    @Override
    protected void release() {
      lock.lock();
      try {
        openLeases--;
        if (--entry.leases == 0 && entry.retired) {
          used -= entry.bytes.length;
        }
      } finally {
        lock.unlock();
      }
    }
  }
}
