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
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A layer that keeps each artifact deflate-compressed on the Java heap; capacity counts compressed
 * bytes. One lock guards the index; compression, inflation and the eviction listener run outside
 * it. A lease holds its own inflated copy, so it needs no care once taken, but the entry stays
 * unevictable while leased, as the contract asks.
 */
public final class DeflateLayer implements MemoryLayer {
  private record Entry(ArtifactMeta meta, byte[] packed, int size, int[] leases, boolean[] evicting) {}

  private final String name;
  private final long capacity;
  private final EvictionPolicy policy;
  private final Map<ArtifactId, Entry> entries = new HashMap<>();
  private final Map<ArtifactId, Integer> pins = new HashMap<>();
  private EvictionListener listener = EvictionListener.DROP;
  private boolean closed;
  private long used, leases, hits, misses, puts, evictions, rejected;

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
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(meta, "meta");
    byte[] plain = Objects.requireNonNull(payload, "payload").toArray(ValueLayout.JAVA_BYTE);
    Entry fresh = new Entry(meta, deflate(plain), plain.length, new int[1], new boolean[1]);
    Set<ArtifactId> kept = new HashSet<>();
    while (true) {
      ArtifactId victim = null;
      Entry v = null;
      synchronized (this) {
        check();
        Entry old = entries.get(id);
        long free = capacity - used + (old == null ? 0 : old.packed.length); // leases hold their own copies
        if (free >= fresh.packed.length) {
          if (old != null) {
            used -= old.packed.length;
          }
          entries.put(id, fresh);
          used += fresh.packed.length;
          policy.onInsert(id, fresh.packed.length);
          puts++;
          return;
        }
        long evictable = 0;
        for (Iterator<ArtifactId> it = policy.victims(); it.hasNext(); ) {
          ArtifactId c = it.next();
          Entry e = entries.get(c);
          if (e.leases[0] == 0 && !e.evicting[0] && !pins.containsKey(c) && !c.equals(id) && !kept.contains(c)) {
            evictable += e.packed.length;
            if (victim == null) {
              victim = c;
              v = e;
            }
          }
        }
        if (free + evictable < fresh.packed.length) {
          rejected++;
          throw new CapacityException("tier '" + name + "': artifact " + id + " of " + plain.length + " bytes ("
              + fresh.packed.length + " compressed) does not fit: " + free + " bytes free, the rest leased or pinned");
        }
        v.evicting[0] = true;
      }
      boolean go = false;
      try {
        go = listener.beforeEvict(name, victim, v.meta, MemorySegment.ofArray(inflate(v)).asReadOnly());
      } finally {
        synchronized (this) {
          v.evicting[0] = false;
          if (!go) {
            kept.add(victim);
          } else if (entries.get(victim) == v && v.leases[0] == 0 && !pins.containsKey(victim)) {
            entries.remove(victim);
            policy.onRemove(victim);
            used -= v.packed.length;
            evictions++;
          }
        }
      }
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
          throw new IllegalStateException("record shorter than " + e.size + " bytes");
        }
      }
      return plain;
    } catch (DataFormatException ex) {
      throw new IllegalStateException("damaged record", ex);
    } finally {
      i.end();
    }
  }

  @Override
  public Lease get(ArtifactId id) {
    Entry e;
    synchronized (this) {
      check();
      e = entries.get(Objects.requireNonNull(id, "id"));
      if (e == null) {
        misses++;
        return null;
      }
      hits++;
      leases++;
      e.leases[0]++;
      policy.onAccess(id);
    }
    return new InflatedLease(id, e, inflate(e));
  }

  private synchronized void release(Entry e) {
    leases--;
    e.leases[0]--;
  }

  @Override
  public synchronized boolean contains(ArtifactId id) {
    check();
    return entries.containsKey(Objects.requireNonNull(id, "id"));
  }

  @Override
  public synchronized boolean delete(ArtifactId id) {
    check();
    Entry e = entries.remove(Objects.requireNonNull(id, "id"));
    if (e != null) {
      policy.onRemove(id);
      pins.remove(id);
      used -= e.packed.length;
    }
    return e != null;
  }

  @Override
  public synchronized boolean pin(ArtifactId id) {
    check();
    return entries.containsKey(Objects.requireNonNull(id, "id")) && pins.merge(id, 1, Integer::sum) > 0;
  }

  @Override
  public synchronized boolean unpin(ArtifactId id) {
    check();
    Integer n = pins.get(Objects.requireNonNull(id, "id"));
    if (n != null && n > 1) {
      pins.put(id, n - 1);
    } else if (n != null) {
      pins.remove(id);
    }
    return n != null;
  }

  @Override
  public synchronized List<ArtifactId> ids() {
    check();
    return List.copyOf(entries.keySet());
  }

  @Override
  public synchronized LayerStats stats() {
    check();
    return new LayerStats(name, capacity, used, entries.size(), leases, pins.size(), hits, misses, puts, evictions,
        rejected, 0);
  }

  @Override
  public synchronized void setEvictionListener(EvictionListener listener) {
    check();
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public synchronized void close() {
    closed = true;
    entries.clear();
  }

  private void check() {
    if (closed) {
      throw new LayerUnavailableException("tier '" + name + "' is closed");
    }
  }

  /** A lease on its own inflated copy, in an arena closed with the lease (a kept segment then raises). */
  private final class InflatedLease extends ArenaScopedLease {
    private final Entry entry;

    InflatedLease(ArtifactId id, Entry entry, byte[] plain) {
      super(id, name, entry.meta, arena -> arena.allocate(Math.max(1, plain.length)).asSlice(0, plain.length)
          .copyFrom(MemorySegment.ofArray(plain)));
      this.entry = entry;
    }

    @Override
    protected void release() {
      DeflateLayer.this.release(entry);
    }
  }
}
