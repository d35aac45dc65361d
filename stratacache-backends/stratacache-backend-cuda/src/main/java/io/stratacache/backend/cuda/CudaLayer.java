package io.stratacache.backend.cuda;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.Capability;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.EvictionPolicy;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.RoomMaker;
import io.stratacache.spi.SlabAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * A tier in GPU memory: one device allocation per tier, carved by a {@link SlabAllocator} (best
 * fit, coalescing, as the CPU tier's slab), with every artifact's metadata on the host.
 *
 * <p>Design note. One lock guards the index, the allocator and the counters; copies to and from
 * the device take no lock, so stores and loads of different artifacts overlap (each on a pinned
 * staging buffer and stream of its own, see {@link CudaStaging}). A store reserves its block
 * through the shared {@link RoomMaker} (victims in policy order, the eviction listener asked with
 * no lock held, so an evicted artifact is demoted to the tier below), copies the bytes to the
 * device, then publishes the entry. A block is freed only when its entry is gone from the index,
 * no lease holds it and no eviction is showing it to the listener; until then a replaced or
 * deleted version's bytes stay intact for whoever still reads them.
 *
 * <p>{@link #get} returns a {@link CudaLease}: the device address, size and ordinal, and a host
 * copy of the bytes when first asked for; {@link Lease#copyTo} copies from the device straight
 * into the caller's memory. The device memory is freed when the layer closes: device addresses
 * must not be used after that.
 */
public final class CudaLayer implements MemoryLayer, RoomMaker.Index<CudaLayer.Entry> {
  /** One stored version; mutable fields are guarded by the layer's lock. */
  static final class Entry {
    final ArtifactId id;
    final ArtifactMeta meta;
    final long offset;
    final long block;
    final long size;
    int leases;
    boolean evicting;
    boolean gone;

    Entry(ArtifactId id, ArtifactMeta meta, long offset, long block, long size) {
      this.id = id;
      this.meta = meta;
      this.offset = offset;
      this.block = block;
      this.size = size;
    }
  }

  private final String tier;
  private final CudaDevice device;
  private final CudaStaging staging;
  private final EvictionPolicy policy;
  private final SlabAllocator allocator;
  private final ReentrantLock lock = new ReentrantLock();
  private final RoomMaker<Entry> room = new RoomMaker<>(lock, this);
  private final Map<ArtifactId, Entry> index = new HashMap<>();
  /** Every allocated block by offset: published, replaced but still read, or being stored. */
  private final TreeMap<Long, Entry> blocks = new TreeMap<>();
  private volatile boolean closed;
  private long used;
  private long leases;
  private long hits;
  private long misses;
  private long puts;

  private CudaLayer(String tier, CudaConfig config, CudaDevice device) {
    this.tier = tier;
    this.device = device;
    this.policy = EvictionPolicy.forName(config.evictionPolicy());
    this.allocator = new SlabAllocator(device.bytes() - device.bytes() % config.alignment(), config.alignment());
    this.staging = new CudaStaging(tier, device, config.stagingBytes(), config.stagingBuffers());
  }

  /**
   * Opens a tier on the device {@code spec} names.
   *
   * @throws io.stratacache.core.ConfigException if a setting is invalid
   * @throws LayerUnavailableException if CUDA is unavailable here, the device does not exist, or it
   *     has less free memory than asked
   */
  public static CudaLayer open(LayerSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return open(spec.tier(), CudaConfig.from(spec));
  }

  /** Opens tier {@code tier} with {@code config}. */
  public static CudaLayer open(String tier, CudaConfig config) {
    Objects.requireNonNull(tier, "tier");
    Objects.requireNonNull(config, "config");
    CudaDevice device = CudaDevice.open(tier, config);
    boolean success = false;
    try {
      CudaLayer layer = new CudaLayer(tier, config, device);
      success = true;
      return layer;
    } finally {
      if (!success) {
        device.close();
      }
    }
  }

  @Override
  public String name() {
    return tier;
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.DEVICE_MEMORY);
  }

  /** The ordinal of the device this tier's memory is on. */
  public int deviceOrdinal() {
    return device.ordinal();
  }

  @Override
  public void put(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(meta, "meta");
    Objects.requireNonNull(payload, "payload");
    ensureOpen();
    long size = payload.byteSize();
    long block = allocator.blockSize(size);
    Entry[] taken = {null};
    room.makeRoom(id, new RoomMaker.Space<>() {
      @Override
      public boolean tryTake() {
        ensureOpen();
        long offset = allocator.allocate(block);
        if (offset < 0) {
          return false;
        }
        taken[0] = new Entry(id, meta, offset, block, size);
        blocks.put(offset, taken[0]);
        used += block;
        return true;
      }

      @Override
      public boolean fitsAfterEvicting(Predicate<Entry> reclaimable) {
        return allocator.reclaimableRun(blocks, e -> e.block, reclaimable, block) >= block;
      }

      @Override
      public CapacityException noRoom(int kept, boolean evictedNothing) {
        return new CapacityException("cuda tier '" + tier + "': artifact " + id + " of " + size + " bytes does not fit in "
            + allocator.size() + " bytes of device memory (" + allocator.freeBytes() + " free, largest free block "
            + allocator.largestFree() + "; " + kept + " victims kept by the listener"
            + (evictedNothing ? "; nothing evicted" : "") + ")");
      }
    });
    Entry fresh = taken[0];
    boolean copied = false;
    try {
      staging.toDevice(payload, fresh.offset);
      copied = true;
    } finally {
      if (!copied) {
        lock.lock();
        try {
          freeBlock(fresh);
        } finally {
          lock.unlock();
        }
      }
    }
    lock.lock();
    try {
      if (closed) {
        freeBlock(fresh);
        throw closedError();
      }
      Entry old = index.put(id, fresh);
      if (old != null) {
        policy.onRemove(id);
        retire(old);
      }
      policy.onInsert(id, block);
      puts++;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Lease get(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      ensureOpen();
      Entry e = index.get(id);
      if (e == null) {
        misses++;
        return null;
      }
      e.leases++;
      leases++;
      hits++;
      policy.onAccess(id);
      return new CudaLease(this, e);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean contains(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      ensureOpen();
      return index.containsKey(id);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean delete(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      ensureOpen();
      Entry e = index.remove(id);
      if (e == null) {
        return false;
      }
      policy.onRemove(id);
      room.unpinAllLocked(id);
      retire(e);
      return true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean pin(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    ensureOpen();
    return room.pin(id);
  }

  @Override
  public boolean unpin(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    ensureOpen();
    return room.unpin(id);
  }

  @Override
  public List<ArtifactId> ids() {
    lock.lock();
    try {
      ensureOpen();
      return List.copyOf(index.keySet());
    } finally {
      lock.unlock();
    }
  }

  @Override
  public LayerStats stats() {
    lock.lock();
    try {
      ensureOpen();
      return new LayerStats(tier, allocator.size(), used, index.size(), leases, room.pinnedLocked(), hits, misses, puts,
          room.evictions(), room.rejected(), 0);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void setEvictionListener(EvictionListener listener) {
    Objects.requireNonNull(listener, "listener");
    ensureOpen();
    room.setListener(listener);
  }

  /**
   * Frees the device memory, the staging buffers and the context. Open leases end: their device
   * addresses must not be used any more, and their accessors throw.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      index.clear();
      blocks.clear();
    } finally {
      lock.unlock();
    }
    room.close();
    staging.close();
    device.close();
  }

  // ------------------------------------------------------------------ leases and copies

  /** Copies {@code e}'s bytes from the device into {@code dst} (a lease holds {@code e}). */
  void copyOut(Entry e, MemorySegment dst) {
    ensureOpen();
    staging.toHost(e.offset, dst);
  }

  long deviceAddress(Entry e) {
    ensureOpen();
    return device.address(e.offset);
  }

  /** A lease on {@code e} was closed. */
  void release(Entry e) {
    lock.lock();
    try {
      e.leases--;
      leases--;
      if (e.gone) {
        retire(e);
      }
    } finally {
      lock.unlock();
    }
  }

  /** {@code e} has left the index: frees its block once nobody reads it. Under the lock. */
  private void retire(Entry e) {
    e.gone = true;
    if (e.leases == 0 && !e.evicting) {
      freeBlock(e);
    }
  }

  private void freeBlock(Entry e) {
    if (!closed && blocks.remove(e.offset, e)) {
      allocator.free(e.offset, e.block);
      used -= e.block;
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw closedError();
    }
  }

  private LayerUnavailableException closedError() {
    return new LayerUnavailableException("cuda tier '" + tier + "' is closed");
  }

  // ------------------------------------------------------------------ RoomMaker.Index (lock held unless noted)

  @Override
  public ArtifactId id(Entry e) {
    return e.id;
  }

  @Override
  public Entry current(ArtifactId id) {
    return index.get(id);
  }

  @Override
  public Iterator<Entry> candidates() {
    return RoomMaker.inPolicyOrder(policy, index::get);
  }

  @Override
  public boolean leased(Entry e) {
    return e.leases > 0;
  }

  @Override
  public void markEvicting(Entry e) {
    e.evicting = true;
  }

  @Override
  public void unmarkEvicting(Entry e) {
    e.evicting = false;
    if (e.gone) {
      retire(e);
    }
  }

  /** Shows the victim's bytes, copied to the host, to the listener. Called with no lock held. */
  @Override
  public boolean offer(Entry victim, EvictionListener listener) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment copy = arena.allocate(Math.max(1, victim.size), 64).asSlice(0, victim.size);
      staging.toHost(victim.offset, copy);
      return listener.beforeEvict(tier, victim.id, victim.meta, copy.asReadOnly());
    }
  }

  /** Called with no lock held. */
  @Override
  public boolean remove(Entry victim) {
    lock.lock();
    try {
      if (closed || !room.removableLocked(victim)) {
        return false;
      }
      index.remove(victim.id);
      policy.onRemove(victim.id);
      room.unpinAllLocked(victim.id);
      retire(victim);
      return true;
    } finally {
      lock.unlock();
    }
  }
}
