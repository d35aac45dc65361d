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
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The reference layer: a small, correct {@link MemoryLayer} that keeps each artifact in a {@code
 * byte[]} on the Java heap, and passes the conformance kit. It is as plain as a layer can be, to
 * read beside the kit and to stand in for a real tier in tests ({@code HeapLayer::new} is a {@link
 * LayerFactory}).
 *
 * <p>Design: one lock guards the index, the pins, the eviction policy and the counters; no I/O
 * happens under it. A lease copies the bytes into an arena of its own (one copy and one arena close
 * per lease: simple, not fast). An artifact replaced or deleted while leased keeps its bytes counted in {@code usedBytes}
 * until its last lease closes. To make room a store picks a victim under the lock, marks it, asks
 * the {@link EvictionListener} without the lock (the victim stays loadable), then removes it if it
 * is still the same, unleased and unpinned artifact. A store that cannot fit even after evicting
 * everything evictable is refused before anything is evicted.
 */
public final class HeapLayer implements MemoryLayer {
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  private final String name;
  private final long capacity;
  private final EvictionPolicy policy;
  private final Map<ArtifactId, Entry> entries = new HashMap<>();
  private final Map<ArtifactId, Integer> pins = new HashMap<>();
  private volatile EvictionListener listener = EvictionListener.DROP;
  private volatile boolean closed;
  private long used;
  private long openLeases;
  private long hits;
  private long misses;
  private long puts;
  private long evictions;
  private long rejected;

  /** One stored version of an artifact. */
  private static final class Entry {
    final ArtifactMeta meta;
    final byte[] bytes;
    int leases;
    boolean evicting;
    boolean retired;

    Entry(ArtifactMeta meta, byte[] bytes) {
      this.meta = meta;
      this.bytes = bytes;
    }
  }

  /**
   * @param tier the tier name
   * @param capacityBytes payload bytes the layer may hold, positive
   * @param evictionPolicy {@code lru} or {@code fifo}
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
    Objects.requireNonNull(payload, "payload");
    long size = payload.byteSize();
    synchronized (this) {
      checkOpen();
      if (size > capacity || size > MAX_ARRAY) {
        rejected++;
        throw new CapacityException("tier '" + name + "': artifact " + id + " of " + size
            + " bytes (expected: at most the tier's capacity, " + Math.min(capacity, MAX_ARRAY) + " bytes)");
      }
    }
    Entry fresh = new Entry(meta, payload.toArray(ValueLayout.JAVA_BYTE));
    Set<ArtifactId> refused = new HashSet<>();
    while (true) {
      ArtifactId victim;
      Entry chosen;
      synchronized (this) {
        checkOpen();
        Entry old = entries.get(id);
        long free = capacity - used + (old != null && old.leases == 0 ? old.bytes.length : 0);
        if (free >= size) {
          install(id, fresh);
          return;
        }
        if (free + evictable(id, refused) < size) {
          rejected++;
          throw new CapacityException("tier '" + name + "': artifact " + id + " of " + size + " bytes does not fit: "
              + free + " bytes free and the rest leased, pinned or kept by the eviction listener");
        }
        victim = null;
        chosen = null;
        for (Iterator<ArtifactId> it = policy.victims(); it.hasNext(); ) {
          ArtifactId candidate = it.next();
          Entry e = entries.get(candidate);
          if (isEvictable(candidate, e, id, refused)) {
            victim = candidate;
            chosen = e;
            break;
          }
        }
        chosen.evicting = true;
      }
      boolean go = false;
      try {
        go = listener.beforeEvict(name, victim, chosen.meta, MemorySegment.ofArray(chosen.bytes).asReadOnly());
      } finally {
        synchronized (this) {
          chosen.evicting = false;
          if (!go) {
            refused.add(victim);
          } else if (entries.get(victim) == chosen && chosen.leases == 0 && !pins.containsKey(victim)) {
            entries.remove(victim);
            policy.onRemove(victim);
            release(chosen);
            evictions++;
          }
        }
      }
    }
  }

  private boolean isEvictable(ArtifactId candidate, Entry e, ArtifactId storing, Set<ArtifactId> refused) {
    return e != null && e.leases == 0 && !e.evicting && !pins.containsKey(candidate) && !candidate.equals(storing)
        && !refused.contains(candidate);
  }

  private long evictable(ArtifactId storing, Set<ArtifactId> refused) {
    long sum = 0;
    for (Map.Entry<ArtifactId, Entry> e : entries.entrySet()) {
      if (isEvictable(e.getKey(), e.getValue(), storing, refused)) {
        sum += e.getValue().bytes.length;
      }
    }
    return sum;
  }

  private void install(ArtifactId id, Entry fresh) {
    Entry old = entries.put(id, fresh);
    if (old != null) {
      release(old);
    }
    used += fresh.bytes.length;
    policy.onInsert(id, fresh.bytes.length);
    puts++;
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
  public synchronized Lease get(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    checkOpen();
    Entry e = entries.get(id);
    if (e == null) {
      misses++;
      return null;
    }
    hits++;
    e.leases++;
    openLeases++;
    policy.onAccess(id);
    return new HeapLease(id, e);
  }

  private synchronized void closeLease(Entry e) {
    openLeases--;
    if (--e.leases == 0 && e.retired) {
      used -= e.bytes.length;
    }
  }

  @Override
  public synchronized boolean contains(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    checkOpen();
    return entries.containsKey(id);
  }

  @Override
  public synchronized boolean delete(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    checkOpen();
    Entry e = entries.remove(id);
    if (e == null) {
      return false;
    }
    policy.onRemove(id);
    pins.remove(id);
    release(e);
    return true;
  }

  @Override
  public synchronized boolean pin(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    checkOpen();
    if (!entries.containsKey(id)) {
      return false;
    }
    pins.merge(id, 1, Integer::sum);
    return true;
  }

  @Override
  public synchronized boolean unpin(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    checkOpen();
    Integer n = pins.get(id);
    if (n == null) {
      return false;
    }
    if (n == 1) {
      pins.remove(id);
    } else {
      pins.put(id, n - 1);
    }
    return true;
  }

  @Override
  public synchronized List<ArtifactId> ids() {
    checkOpen();
    return List.copyOf(entries.keySet());
  }

  @Override
  public synchronized LayerStats stats() {
    checkOpen();
    return new LayerStats(name, capacity, used, entries.size(), openLeases, pins.size(), hits, misses, puts, evictions,
        rejected, 0);
  }

  @Override
  public void setEvictionListener(EvictionListener listener) {
    Objects.requireNonNull(listener, "listener");
    synchronized (this) {
      checkOpen();
      this.listener = listener;
    }
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      entries.clear();
      pins.clear();
    }
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

    HeapLease(ArtifactId id, Entry entry) {
      super(id, name, entry.meta,
          arena -> arena.allocate(Math.max(1, entry.bytes.length)).asSlice(0, entry.bytes.length)
              .copyFrom(MemorySegment.ofArray(entry.bytes)));
      this.entry = entry;
    }

    @Override
    protected void release() {
      closeLease(entry);
    }
  }
}
