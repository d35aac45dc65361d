package io.stratacache.backend.cpu;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.BatchAccess;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.EvictionPolicy;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reclaimable;
import io.stratacache.spi.Reservation;
import io.stratacache.spi.RoomMaker;
import io.stratacache.spi.SlabAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.atomic.LongAdder;

/**
 * A CPU tier: artifacts in one off-heap slab, allocated (and by default pre-touched) when the
 * layer opens and freed when it closes.
 *
 * <p>Design note.
 *
 * <ul>
 *   <li><b>Memory.</b> One slab of {@code capacity} bytes per layer, owned by a shared {@link
 *       Arena}. A {@link SlabAllocator} (best fit, coalescing) hands out blocks aligned to {@code
 *       alignment}; each artifact takes one block of at least one alignment unit. Puts copy outside
 *       the lock into a block nobody else can see, then publish it.
 *   <li><b>Entries and reference counts.</b> Each stored artifact is an {@link Entry} with a
 *       reference count: one for the index while the id maps to it, one per lease until the arena
 *       of the lease's group closes, and one while an eviction listener looks at it. Its block is
 *       freed when the count drops to zero, so a delete or replace of a leased artifact only
 *       unlinks it. New references are taken only under the lock while the entry is linked, so a
 *       count that reached zero stays there; leases are closed without the lock.
 *   <li><b>Leases.</b> A lease's view is bound to the arena of its {@link LeaseGroup} (one {@link
 *       #getAll} batch, or a lease taken on its own), so
 *       a view kept past its lease's close faults once the group's arena closes and never reads a
 *       reused block: a block goes back to the allocator only after every group that leased it
 *       has closed its arena. One arena close (a handshake with every thread, about 20 µs) per
 *       group instead of per lease; see {@link LeaseGroup} for the alternatives measured.
 *   <li><b>Making room.</b> A put whose block does not fit goes through the shared {@link
 *       RoomMaker} protocol (see its note for the order of victims, the listener, refusal and the
 *       rule for the version being replaced). This layer supplies the geometry: a block fits when
 *       the {@link SlabAllocator} can place it, and the check made before evicting anything scans
 *       blocks by offset (stopping at the first success) for a run of adjacent free or reclaimable
 *       space large enough. An eviction holds a reference on its victim so that its bytes stay
 *       intact for the listener even if the victim is deleted meanwhile. When free space is
 *       scattered, eviction in policy order can take more artifacts than the bytes asked for,
 *       until adjacent blocks coalesce into a hole that fits (see {@link SlabAllocator} for why
 *       such a hole always forms). A listener must not store into the layer that called it.
 *       {@link #reclaim} evicts through the same protocol ahead of demand (the engine's
 *       maintenance calls it from its background thread).
 *   <li><b>Locking.</b> One {@link ReentrantLock} guards the index, the policy, the allocator and
 *       the counters; nothing slow runs under it (no copy, no listener). {@link #contains} reads a
 *       concurrent index without it.
 *   <li><b>Parts.</b> The allocator ({@link SlabAllocator}), the lease groups ({@link
 *       LeaseGroups}) and the make-room protocol ({@link RoomMaker}) are classes of their own; this
 *       class keeps the index, its entries' reference counts and the two adapters the protocol
 *       needs, all under one lock. At about 700 lines it is over the usual size for that reason.
 *   <li><b>Close.</b> Waits for nothing: the slab's arena is closed at once. Leases still open
 *       throw {@link io.stratacache.core.LeaseClosedException} from their accessors; a segment
 *       obtained earlier faults with {@link IllegalStateException} instead of reading freed
 *       memory; closing them is harmless.
 * </ul>
 */
public final class CpuLayer implements MemoryLayer, BatchAccess, Reclaimable {
  /** Settings this provider reads besides {@link LayerSpec#COMMON_KEYS}. */
  static final Set<String> KEYS = Set.of("alignment", "pretouch");

  static final long DEFAULT_ALIGNMENT = 64;
  static final long MAX_ALIGNMENT = 1 << 20;

  private final String tier;
  private final long capacity;
  private final long alignment;
  private final Arena arena;
  private final MemorySegment slab;
  private final SlabAllocator allocator;
  private final EvictionPolicy policy;

  private final ReentrantLock lock = new ReentrantLock();
  private final RoomMaker<Entry> room = new RoomMaker<>(lock, new RoomIndex());
  private final ConcurrentHashMap<ArtifactId, Entry> index = new ConcurrentHashMap<>();
  /** Every allocated block (linked, unlinked but leased, or being written), by offset. */
  private final TreeMap<Long, Entry> blocks = new TreeMap<>();
  private final LongAdder openLeases = new LongAdder();
  private final LeaseGroups groups = new LeaseGroups(lock, this::releaseLocked);
  private volatile boolean closed;

  // Guarded by lock.
  private long usedBytes;
  private long hits;
  private long misses;
  private long puts;

  private CpuLayer(String tier, long capacity, long alignment, EvictionPolicy policy, Arena arena, MemorySegment slab) {
    this.tier = tier;
    this.capacity = capacity;
    this.alignment = alignment;
    this.policy = policy;
    this.arena = arena;
    this.slab = slab;
    this.allocator = new SlabAllocator(capacity - capacity % alignment, alignment);
  }

  /**
   * Opens a layer as {@code spec} says. Settings: {@code capacity} (required), {@code
   * eviction_policy} ({@code lru}), {@code alignment} (a power of two up to 1 MiB, default 64),
   * {@code pretouch} (default true).
   *
   * @throws io.stratacache.core.ConfigException if a setting is unknown or invalid
   * @throws LayerUnavailableException if the slab cannot be allocated
   */
  static CpuLayer open(LayerSpec spec) {
    spec.requireKnownKeys(KEYS);
    long capacity = spec.capacityBytes();
    EvictionPolicy policy = spec.evictionPolicy();
    long alignment = spec.bytes("alignment", DEFAULT_ALIGNMENT);
    if (alignment < 1 || alignment > MAX_ALIGNMENT || Long.bitCount(alignment) != 1) {
      throw spec.error("alignment", spec.settings().get("alignment"), "a power of two from 1 to 1MiB");
    }
    if (alignment > capacity) {
      throw spec.error("alignment", spec.settings().get("alignment"), "at most the capacity, " + capacity + " bytes");
    }
    boolean pretouch = spec.bool("pretouch", true);

    Arena arena = Arena.ofShared();
    boolean success = false;
    try {
      MemorySegment slab = NativeSlab.allocate(capacity, arena);
      if (slab == null) {
        throw new LayerUnavailableException(
            "tier '" + spec.tier() + "' (cpu): cannot allocate a slab of " + capacity
                + " bytes of native memory (expected: a capacity the machine can hold)");
      }
      if (pretouch) {
        NativeSlab.pretouch(slab);
      }
      CpuLayer layer = new CpuLayer(spec.tier(), capacity, alignment, policy, arena, slab);
      success = true;
      return layer;
    } finally {
      if (!success) {
        arena.close();
      }
    }
  }

  @Override
  public String name() {
    return tier;
  }

  /** Bytes this layer may hold (also in {@link #stats()}). */
  public long capacityBytes() {
    return capacity;
  }

  /** The alignment of every artifact's first byte in the slab. */
  public long alignment() {
    return alignment;
  }

  // ---------------------------------------------------------------------------------------------
  // stores

  @Override
  public void put(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    Objects.requireNonNull(payload, "payload");
    Entry e = allocate(id, meta, payload.byteSize());
    boolean published = false;
    try {
      MemorySegment.copy(payload, 0, slab, e.offset, e.size);
      publish(e);
      published = true;
    } catch (IllegalStateException slabClosed) {
      if (closed) {
        throw new LayerUnavailableException("tier '" + tier + "' (cpu) was closed during the put of " + id, slabClosed);
      }
      throw slabClosed;
    } finally {
      if (!published) {
        abandon(e);
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>The reservation's segment is the slab space the artifact will occupy: whatever is written
   * there is published by {@link Reservation#commit()} without a further copy. Reserved space counts
   * in {@link LayerStats#usedBytes()}. As with leases, a segment kept past commit or close is not
   * guarded: writing to it after commit changes the stored artifact.
   */
  @Override
  public Reservation reserve(ArtifactId id, ArtifactMeta meta, long size) {
    if (size < 0) {
      throw new IllegalArgumentException("size: " + size + " (expected: >= 0)");
    }
    Entry e = allocate(id, meta, size);
    return new CpuReservation(this, e, slab.asSlice(e.offset, size));
  }

  /** Publishes a filled entry, replacing the one its id maps to. */
  void publish(Entry e) {
    lock.lock();
    try {
      ensureOpen();
      e.refs = 1;
      e.linked = true;
      Entry old = index.put(e.id, e);
      if (old != null) {
        old.linked = false;
        groups.leftIndexLocked(old);
        releaseLocked(old);
      }
      policy.onInsert(e.id, e.blockSize);
      puts++;
    } finally {
      lock.unlock();
    }
    groups.drain();
  }

  /** Gives back the block of an entry that was never published. */
  void abandon(Entry e) {
    lock.lock();
    try {
      freeLocked(e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Allocates a block for {@code size} bytes, evicting as needed; returns an unpublished entry.
   */
  private Entry allocate(ArtifactId id, ArtifactMeta meta, long size) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(meta, "meta");
    ensureOpen();
    if (size > allocator.size()) {
      throw room.refuse(new CapacityException(
          "tier '" + tier + "' (cpu): artifact " + id + " of " + size + " bytes is larger than the tier (expected: at most "
              + allocator.size() + " bytes, the capacity of " + capacity + " bytes in " + alignment + "-byte units)"));
    }
    Block space = new Block(id, meta, size);
    room.makeRoom(id, space);
    return space.taken;
  }

  /** The block one put needs; see {@link RoomMaker.Space}. */
  private final class Block implements RoomMaker.Space<Entry> {
    private final ArtifactId id;
    private final ArtifactMeta meta;
    private final long size;
    private final long block;
    Entry taken;

    Block(ArtifactId id, ArtifactMeta meta, long size) {
      this.id = id;
      this.meta = meta;
      this.size = size;
      this.block = allocator.blockSize(size);
    }

    @Override
    public boolean tryTake() {
      ensureOpen();
      long offset = allocator.allocate(block);
      if (offset < 0) {
        return false;
      }
      taken = new Entry(id, meta, offset, block, size, slab.asSlice(offset, size).asReadOnly());
      blocks.put(offset, taken);
      usedBytes += block;
      return true;
    }

    @Override
    public boolean fitsAfterEvicting(Predicate<Entry> reclaimable) {
      return reclaimableRun(block, reclaimable) >= block;
    }

    @Override
    public CapacityException noRoom(int kept, boolean evictedNothing) {
      long leased = 0;
      long pinned = 0;
      long writing = 0;
      for (Entry e : blocks.values()) {
        if (!e.linked) {
          if (e.refs == 0) {
            writing++;
          } else {
            leased++;
          }
        } else if (room.isPinnedLocked(e.id)) {
          pinned++;
        } else if (e.leases > 0) {
          leased++;
        }
      }
      return new CapacityException(
          "tier '" + tier + "' (cpu): no room for artifact " + id + " of " + size + " bytes: evicting could free at most "
              + reclaimableRun(block, room::evictableLocked) + " adjacent bytes; the rest of the " + capacity
              + " bytes is held by " + leased + " leased, " + pinned + " pinned and " + writing + " unfinished artifacts"
              + (kept == 0 ? "" : " and " + kept + " the eviction listener kept")
              + (evictedNothing ? "; nothing was evicted" : "")
              + " (expected: close leases or unpin artifacts first, or a larger capacity)");
    }
  }

  /**
   * The longest run of adjacent free or reclaimable space, scanning by offset and stopping as
   * soon as one of {@code need} bytes is found.
   */
  private long reclaimableRun(long need, Predicate<Entry> reclaimable) {
    return allocator.reclaimableRun(blocks, e -> e.blockSize, reclaimable, need);
  }

  /** This layer's index as the make-room protocol sees it. */
  private final class RoomIndex implements RoomMaker.Index<Entry> {
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
      REFS.getAndAdd(e, 1);
    }

    @Override
    public void unmarkEvicting(Entry e) {
      releaseLocked(e);
    }

    @Override
    public boolean offer(Entry victim, EvictionListener listener) {
      return listener.beforeEvict(tier, victim.id, victim.meta, victim.view);
    }

    @Override
    public boolean remove(Entry victim) {
      lock.lock();
      try {
        if (closed || !room.removableLocked(victim)) {
          return false;
        }
        index.remove(victim.id, victim);
        unlinkLocked(victim);
        releaseLocked(victim); // the index's reference
      } finally {
        lock.unlock();
      }
      groups.drain();
      return true;
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Counts block bytes, as {@link LayerStats#usedBytes()} does.
   */
  @Override
  public int reclaim(long targetUsedBytes, int maxVictims) {
    if (targetUsedBytes < 0) {
      throw new IllegalArgumentException("targetUsedBytes: " + targetUsedBytes + " (expected: >= 0)");
    }
    if (maxVictims < 0) {
      throw new IllegalArgumentException("maxVictims: " + maxVictims + " (expected: >= 0)");
    }
    ensureOpen();
    return room.evictWhile(() -> usedBytes > targetUsedBytes, maxVictims);
  }

  // ---------------------------------------------------------------------------------------------
  // loads

  @Override
  public Lease get(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    Lease lease;
    lock.lock();
    try {
      ensureOpen();
      lease = leaseLocked(id);
      groups.endFullLocked();
    } finally {
      lock.unlock();
    }
    groups.drain();
    return lease;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The leases of one call share one {@link LeaseGroup}: one arena close for the batch.
   */
  @Override
  public Map<ArtifactId, Lease> getAll(Collection<ArtifactId> ids) {
    Objects.requireNonNull(ids, "ids");
    Map<ArtifactId, Lease> out = new LinkedHashMap<>();
    lock.lock();
    try {
      ensureOpen();
      for (ArtifactId id : ids) {
        Objects.requireNonNull(id, "ids holds null");
        if (!out.containsKey(id)) {
          Lease l = leaseLocked(id);
          if (l != null) {
            out.put(id, l);
          }
        }
      }
      groups.endFullLocked();
    } catch (RuntimeException e) {
      out.values().forEach(Lease::close);
      throw e;
    } finally {
      lock.unlock();
    }
    groups.drain();
    return out;
  }

  private Lease leaseLocked(ArtifactId id) {
    Entry e = index.get(id);
    if (e == null) {
      misses++;
      return null;
    }
    LeaseGroup g = groups.joinLocked(e);
    REFS.getAndAdd(e, 1); // dropped when the group's arena closes
    LEASES.getAndAdd(e, 1);
    hits++;
    policy.onAccess(id);
    openLeases.increment();
    return new CpuLease(this, e, g);
  }

  /** A lease on {@code e} in {@code g} was closed; called once per lease, without the lock. */
  void release(Entry e, LeaseGroup g) {
    openLeases.decrement();
    LEASES.getAndAdd(e, -1);
    g.arena.release();
  }

  @Override
  public boolean contains(ArtifactId id) {
    ensureOpen();
    return index.containsKey(id);
  }

  @Override
  public List<Boolean> containsAll(Collection<ArtifactId> ids) {
    ensureOpen();
    List<Boolean> out = new ArrayList<>(ids.size());
    for (ArtifactId id : ids) {
      out.add(index.containsKey(id));
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // removal, pins

  @Override
  public boolean delete(ArtifactId id) {
    boolean deleted;
    lock.lock();
    try {
      ensureOpen();
      deleted = deleteLocked(id);
    } finally {
      lock.unlock();
    }
    groups.drain();
    return deleted;
  }

  @Override
  public int deleteAll(Collection<ArtifactId> ids) {
    lock.lock();
    try {
      ensureOpen();
      int n = 0;
      for (ArtifactId id : ids) {
        if (deleteLocked(id)) {
          n++;
        }
      }
      return n;
    } finally {
      lock.unlock();
      groups.drain();
    }
  }

  private boolean deleteLocked(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    Entry e = index.remove(id);
    if (e == null) {
      return false;
    }
    room.unpinAllLocked(id);
    unlinkLocked(e);
    releaseLocked(e);
    return true;
  }

  /** Unlinks an entry already removed from the index; the caller then drops the index's reference. */
  private void unlinkLocked(Entry e) {
    e.linked = false;
    policy.onRemove(e.id);
    groups.leftIndexLocked(e);
  }

  @Override
  public boolean pin(ArtifactId id) {
    ensureOpen();
    return room.pin(id);
  }

  @Override
  public boolean unpin(ArtifactId id) {
    ensureOpen();
    return room.unpin(id);
  }

  // ---------------------------------------------------------------------------------------------
  // block bookkeeping (lock held)

  private void releaseLocked(Entry e) {
    if ((int) REFS.getAndAdd(e, -1) == 1) {
      freeLocked(e);
    }
  }

  private void freeLocked(Entry e) {
    if (closed) {
      return;
    }
    blocks.remove(e.offset);
    allocator.free(e.offset, e.blockSize);
    usedBytes -= e.blockSize;
  }

  // ---------------------------------------------------------------------------------------------
  // the rest of the SPI

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
      return new LayerStats(
          tier, capacity, usedBytes, index.size(), openLeases.sum(), room.pinnedLocked(), hits, misses, puts,
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

  /** Frees the slab at once; see the class note for what happens to open leases. */
  @Override
  public void close() {
    List<LeaseGroup> open;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      index.clear();
      blocks.clear();
      open = groups.closeAllLocked();
    } finally {
      lock.unlock();
    }
    for (LeaseGroup g : open) {
      g.arena.closeNow();
    }
    room.close();
    arena.close();
  }

  boolean isClosed() {
    return closed;
  }

  private void ensureOpen() {
    if (closed) {
      throw new LayerUnavailableException("tier '" + tier + "' (cpu) is closed");
    }
  }

  /** The whole slab, writable; for tests of this package. */
  MemorySegment slab() {
    return slab;
  }

  private static final VarHandle REFS;
  private static final VarHandle LEASES;

  static {
    try {
      REFS = MethodHandles.lookup().findVarHandle(Entry.class, "refs", int.class);
      LEASES = MethodHandles.lookup().findVarHandle(Entry.class, "leases", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** One artifact's block. Fields other than {@code refs} are guarded by the layer's lock. */
  static final class Entry {
    final ArtifactId id;
    final ArtifactMeta meta;
    final long offset;
    final long blockSize;
    final long size;
    /** Read-only view of the payload, shared by every lease. */
    final MemorySegment view;
    /**
     * References on the block: the index's while linked, one per lease until its group's arena
     * closes, one per eviction in progress. The block is freed when they reach zero.
     */
    volatile int refs;
    /** Leases open now. */
    volatile int leases;
    /** The last group that leased this entry; guarded by the lock. */
    LeaseGroup group;
    boolean linked;

    Entry(ArtifactId id, ArtifactMeta meta, long offset, long blockSize, long size, MemorySegment view) {
      this.id = id;
      this.meta = meta;
      this.offset = offset;
      this.blockSize = blockSize;
      this.size = size;
      this.view = view;
    }
  }
}
