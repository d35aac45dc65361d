package com.example.deflate;

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
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A layer that keeps each artifact deflate-compressed on the Java heap; capacity counts compressed
 * bytes. One lock guards the index; making room (victims, the eviction listener, pins, refusals)
 * is the SPI's shared {@link RoomMaker}, to which the layer describes its index. A lease inflates
 * into an arena of its own, so a segment kept past the lease's close raises.
 */
public final class DeflateLayer implements MemoryLayer, RoomMaker.Index<DeflateLayer.Entry> {
  /** One stored version. */
  static final class Entry {
    final ArtifactId id;
    final ArtifactMeta meta;
    final byte[] packed;
    final int size;
    int leases;

    Entry(ArtifactId id, ArtifactMeta meta, byte[] packed, int size) {
      this.id = id;
      this.meta = meta;
      this.packed = packed;
      this.size = size;
    }
  }

  private final String name;
  private final long capacity;
  private final EvictionPolicy policy;
  private final ReentrantLock lock = new ReentrantLock();
  private final RoomMaker<Entry> room = new RoomMaker<>(lock, this);
  private final Map<ArtifactId, Entry> entries = new HashMap<>();
  private volatile boolean closed;
  private long used, leases, hits, misses, puts;

  public DeflateLayer(String name, long capacity, EvictionPolicy policy) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity: " + capacity + " (expected: > 0)");
    }
    this.name = Objects.requireNonNull(name, "name");
    this.capacity = capacity;
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  @Override
  public void put(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    byte[] plain = Objects.requireNonNull(payload, "payload").toArray(ValueLayout.JAVA_BYTE);
    Entry fresh = new Entry(Objects.requireNonNull(id, "id"), Objects.requireNonNull(meta, "meta"), deflate(plain),
        plain.length);
    long need = fresh.packed.length;
    room.makeRoom(id, new RoomMaker.Space<>() {
      @Override
      public boolean tryTake() {
        check();
        boolean free = capacity - used >= need;
        used += free ? need : 0;
        return free;
      }

      @Override
      public boolean fitsAfterEvicting(Predicate<Entry> reclaimable) {
        long free = capacity - used;
        for (Entry e : entries.values()) {
          free += reclaimable.test(e) ? e.packed.length : 0;
        }
        return free >= need;
      }

      @Override
      public CapacityException noRoom(int kept, boolean evictedNothing) {
        return new CapacityException("tier '" + name + "': artifact " + id + " of " + plain.length + " bytes (" + need
            + " compressed) does not fit in " + capacity + " bytes (" + kept + " victims kept by the listener)");
      }
    });
    locked(() -> {
      Entry old = entries.put(id, fresh);
      used -= old == null ? 0 : old.packed.length;
      policy.onInsert(id, need);
      return puts++;
    });
  }

  @Override
  public Lease get(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    Entry e = locked(() -> {
      Entry found = entries.get(id);
      if (found == null) {
        misses++;
        return null;
      }
      hits++;
      leases++;
      found.leases++;
      policy.onAccess(id);
      return found;
    });
    if (e == null) {
      return null;
    }
    byte[] plain = inflate(e);
    return new ArenaScopedLease(id, name, e.meta, arena -> arena.allocate(Math.max(1, plain.length))
        .asSlice(0, plain.length).copyFrom(MemorySegment.ofArray(plain))) {
      @Override
      protected void release() {
        lock.lock();
        try {
          leases--;
          e.leases--;
        } finally {
          lock.unlock();
        }
      }
    };
  }

  @Override
  public boolean contains(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    return locked(() -> entries.containsKey(id));
  }

  @Override
  public boolean delete(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    return locked(() -> entries.containsKey(id) && drop(entries.get(id)));
  }

  private boolean drop(Entry e) {
    entries.remove(e.id);
    policy.onRemove(e.id);
    room.unpinAllLocked(e.id);
    used -= e.packed.length;
    return true;
  }

  @Override
  public boolean pin(ArtifactId id) {
    check();
    return room.pin(id);
  }

  @Override
  public boolean unpin(ArtifactId id) {
    check();
    return room.unpin(id);
  }

  @Override
  public List<ArtifactId> ids() {
    return locked(() -> List.copyOf(entries.keySet()));
  }

  @Override
  public LayerStats stats() {
    return locked(() -> new LayerStats(name, capacity, used, entries.size(), leases, room.pinnedLocked(), hits, misses,
        puts, room.evictions(), room.rejected(), 0));
  }

  @Override
  public void setEvictionListener(EvictionListener listener) {
    check();
    room.setListener(listener);
  }

  @Override
  public String name() {
    return name;
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

  // RoomMaker.Index: how the shared protocol sees this layer's index (lock held unless noted)

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

  /** Called without the lock. */
  @Override
  public boolean offer(Entry victim, EvictionListener listener) {
    return listener.beforeEvict(name, victim.id, victim.meta, MemorySegment.ofArray(inflate(victim)).asReadOnly());
  }

  /** Called without the lock. */
  @Override
  public boolean remove(Entry victim) {
    return locked(() -> room.removableLocked(victim) && drop(victim));
  }

  private <T> T locked(Supplier<T> action) {
    lock.lock();
    try {
      check();
      return action.get();
    } finally {
      lock.unlock();
    }
  }

  private void check() {
    if (closed) {
      throw new LayerUnavailableException("tier '" + name + "' is closed");
    }
  }

  private static byte[] deflate(byte[] plain) {
    Deflater d = new Deflater(Deflater.BEST_SPEED);
    d.setInput(plain);
    d.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream(plain.length / 2 + 64);
    byte[] buf = new byte[64 << 10];
    while (!d.finished()) {
      out.write(buf, 0, d.deflate(buf));
    }
    d.end();
    return out.toByteArray();
  }

  private static byte[] inflate(Entry e) {
    Inflater i = new Inflater();
    i.setInput(e.packed);
    byte[] plain = new byte[e.size];
    try {
      for (int n = 0; n < plain.length; n += i.inflate(plain, n, plain.length - n)) {
        if (i.finished()) {
          throw new IllegalStateException("record of " + e.id + " shorter than " + e.size + " bytes");
        }
      }
      return plain;
    } catch (DataFormatException ex) {
      throw new IllegalStateException("damaged record of " + e.id, ex);
    } finally {
      i.end();
    }
  }
}
