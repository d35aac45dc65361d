package io.stratacache.backend.cxl;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.core.codec.RecordLayout;
import io.stratacache.spi.ArtifactAges;
import io.stratacache.spi.Capability;
import io.stratacache.spi.CheckReport;
import io.stratacache.spi.Checkable;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.EvictionPolicy;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The CXL / shared-memory tier: artifacts as {@linkplain RecordLayout SCR1 records} in a mapped
 * region whose metadata lives in the region itself ({@link CxlLayout}), so that other processes
 * mapping it and later runs find what was stored.
 *
 * <h2>Design</h2>
 *
 * <p><b>Parts.</b> {@link CxlLayout} holds every offset; {@link CxlFormat} formats, checks and
 * repairs a region; {@link CxlSlotTable} reads and writes slots and checks records; {@link
 * CxlIndex} maps ids to slots; {@link CxlAllocator} hands out slots and runs of blocks; {@link
 * CxlHolds} tracks which process holds which slot; {@link CxlEviction} makes room; {@link
 * CxlGuard} serializes changes. This class composes them into the {@link MemoryLayer} verbs.
 *
 * <p><b>Commit protocol.</b> A store claims a free slot and a run of free blocks under the region
 * lock, marking the slot {@code WRITING} with its owner; copies the payload and writes the record
 * prefix with no lock held, checksumming each piece as it is copied; then, under the lock, fills
 * in the slot's checksum and commit sequence and publishes the slot {@code COMMITTED} with a
 * release store before pointing the index at it. Loads take no lock: they find the slot through
 * the index, check that it is visible, and check the record (magic, header checksum, id, length
 * and payload CRC32C against both the record and the slot); {@link CxlLoads} says when the
 * payload's checksum is checked ({@code verify: once}, the default: once per commit per process;
 * {@code verify: always}: every load). A writer that dies before the commit leaves a {@code
 * WRITING} slot that never reads as valid, and recovery returns its blocks.
 *
 * <p><b>Room, holds and recovery.</b> A record takes one contiguous run of blocks ({@link
 * CxlAllocator}), so a lease is one zero-copy segment; a store that finds no room makes it through
 * the shared {@link io.stratacache.spi.RoomMaker} protocol, or fails with {@link
 * CapacityException} ({@link CxlEviction}). A slot that any process leases or pins is <em>held</em> and is neither
 * evicted nor reused by any process; deleting or replacing it retires it (invisible, blocks kept)
 * until the last hold goes ({@link CxlHolds}). A lease is a read-only view bound to the arena of
 * its lease group, shared by a thread's leases and closed after the last of them, so that a
 * view kept past its lease faults instead of reading the slot's next occupant ({@link
 * CxlLeaseGroups}). At open, and whenever a dead or expired holder's
 * region lock is broken, the region is repaired from its slots, leaving live processes' slots and
 * holds alone ({@link CxlFormat}).
 *
 * <p><b>Size.</b> At about 690 lines the class is over the usual size: it is where the parts are
 * wired together and opened in order, and it holds the write path, the life cycle and the thin
 * {@link MemoryLayer} and {@link Checkable} verbs; the read path ({@link CxlLoads}), pins ({@link
 * CxlPins}), expiry ({@link CxlExpiry}), checking ({@link CxlCheck}) and everything stored in the
 * region live in classes of their own. The write path is the next to move out if it grows.
 *
 * <p><b>Durability.</b> Survives the death of any process; a regular or {@code /dev/shm} file
 * also survives a restart of every process (not of the machine for {@code /dev/shm}). Nothing is
 * flushed to a persistence domain, so a power failure may lose or tear anything: the checksums
 * then make torn records read as absent, never as wrong bytes.
 */
public final class CxlLayer implements MemoryLayer, Checkable, ArtifactAges {
  private static final System.Logger LOG = System.getLogger(CxlLayer.class.getName());
  private static final int PID = (int) ProcessHandle.current().pid();
  /** How long a store that finds no room waits for some process to let go of a slot. */
  private static final long RELEASE_WAIT_NANOS = 100 * CxlLeaseGroups.IDLE_MILLIS * 1_000_000;

  private final String tier;
  private final String where;
  private final CxlConfig config;
  private final CxlRegion region;
  private final CxlGuard guard;
  private final CxlLayout.Geometry g;
  private final CxlSlotTable slots;
  private final CxlIndex index;
  private final CxlHolds holds;
  private final CxlAllocator allocator;
  private final CxlEviction eviction;
  private final CxlCounters counters = new CxlCounters();
  private final CxlLeaseGroups leaseGroups;
  private final CxlLoads loads;
  private final CxlExpiry expiry;
  private final CxlPins pins;
  private final CxlMaintenance maintenance;
  private final long idleMillis;
  private final int alignment;

  private volatile boolean closed;
  /** 1 for the open layer, plus calls in progress and open leases; the region is unmapped at 0. */
  private final AtomicLong users = new AtomicLong(1);
  private final AtomicBoolean detached = new AtomicBoolean();
  private final long generation;
  private final int recoveredArtifacts;
  private final int abandonedWritesReclaimed;

  /**
   * Opens the tier described by {@code spec} (see {@link CxlConfig} for its settings).
   *
   * @throws io.stratacache.core.ConfigException if a setting is unknown or invalid
   * @throws LayerUnavailableException if the region cannot be mapped or is not a region of this
   *     version
   */
  public static CxlLayer open(LayerSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return open(spec.tier(), CxlConfig.from(spec));
  }

  /** Opens a tier named {@code tier} with {@code config}. */
  public static CxlLayer open(String tier, CxlConfig config) {
    Objects.requireNonNull(tier, "tier");
    Objects.requireNonNull(config, "config");
    return new CxlLayer(tier, config, CxlLeaseGroups.IDLE_MILLIS, System::currentTimeMillis);
  }

  /** As {@link #open(String, CxlConfig)}, retiring idle lease groups after {@code idleMillis} (tests). */
  static CxlLayer open(String tier, CxlConfig config, long idleMillis) {
    return new CxlLayer(tier, config, idleMillis, System::currentTimeMillis);
  }

  /** As {@link #open(String, CxlConfig)} with {@code clockMillis} for the slots' stamps and expiry (tests). */
  static CxlLayer open(String tier, CxlConfig config, LongSupplier clockMillis) {
    return new CxlLayer(tier, config, CxlLeaseGroups.IDLE_MILLIS, clockMillis);
  }

  private CxlLayer(String tier, CxlConfig config, long idleMillis, LongSupplier clockMillis) {
    this.tier = tier;
    this.idleMillis = idleMillis;
    this.where = "cxl tier '" + tier + "'";
    this.config = config;
    this.region = CxlRegion.map(tier, config, CxlFormat.newRegionBytes(config));
    boolean success = false;
    try {
      CxlRegionLock regionLock = new CxlRegionLock(region, config.lockLease().toMillis(), PID);
      this.guard = new CxlGuard(where, config.path(), regionLock, config.lockLease().toMillis(), this::repair);
      long me = (long) PID << 32 | (ThreadLocalRandom.current().nextInt() & 0xFFFF_FFFFL | 1);
      EvictionPolicy policy = EvictionPolicy.forName(config.evictionPolicy());
      record Opened(CxlLayout.Geometry g, CxlSlotTable slots, CxlIndex index, CxlHolds holds, CxlAllocator allocator,
          int abandoned, long generation) {}
      Opened o = guard.lockedRaw(() -> {
        CxlLayout.Geometry geo = CxlFormat.formatOrValidate(region, config, where, tier);
        CxlHolds h = CxlHolds.attach(region, geo, me, where, tier, config.exclusive());
        CxlSlotTable st = new CxlSlotTable(region, geo, config.verifyEveryLoad(), clockMillis);
        CxlIndex ix = new CxlIndex(region, geo, st, () -> guard.run(() -> {}), where);
        CxlAllocator al = new CxlAllocator(region, geo, st, h);
        // An exclusive open is for check and repair: it leaves the region as found, for check() to report.
        int abandoned = config.exclusive() ? 0 : CxlFormat.repair(region, st, ix, al, h, counters.corrupt);
        return new Opened(geo, st, ix, h, al, abandoned, region.getVolatile(CxlLayout.GENERATION_OFFSET));
      });
      this.g = o.g;
      this.slots = o.slots;
      this.index = o.index;
      this.holds = o.holds;
      this.allocator = o.allocator;
      this.abandonedWritesReclaimed = o.abandoned;
      this.generation = o.generation;
      this.alignment = g.alignment();
      this.maintenance = new CxlMaintenance(where, "stratacache-cxl-" + tier);
      this.leaseGroups = new CxlLeaseGroups(slots, holds, allocator, guard, this::exit, this::leaseGroupIdle);
      this.eviction = new CxlEviction(tier, where, g, slots, index, allocator, holds, guard, counters, policy,
          this::releaseIdleHolds, "raise tiers." + tier + ".slots (now " + g.slotCount() + ") or lower tiers."
              + tier + ".expected_artifact_size (now " + config.expectedArtifactBytes() + " bytes), and format the"
              + " region again (reset_metadata: true) for the new slot count to apply");
      this.pins = new CxlPins(guard, index, slots, holds, allocator);
      this.expiry = new CxlExpiry(config.expireAfter().toMillis(), slots, index, allocator, holds, guard, eviction,
          this::releaseIdleHolds);
      this.loads = new CxlLoads(this, where, slots, index, holds, allocator, guard, leaseGroups, eviction, expiry,
          counters);
      if (expiry.enabled()) {
        maintenance.every(config.cleanupInterval().toNanos(), "expiry sweep", expiry::sweep);
      }
      this.recoveredArtifacts = eviction.learnStoredIds();
      if (config.capacityBytes() > 0 && config.capacityBytes() > g.dataBytes()) {
        LOG.log(System.Logger.Level.WARNING, where + ": region " + config.path() + " holds " + g.dataBytes()
            + " data bytes, less than tiers." + tier + ".capacity = " + config.capacityBytes()
            + "; using the region's size (reset_metadata does not resize an existing region)");
      }
      success = true;
    } finally {
      if (!success) {
        region.close();
      }
    }
  }

  private void leaseGroupIdle() {
    maintenance.scheduleIdleSweep(idleMillis, () -> leaseGroups.retireIdle(idleMillis * 1_000_000));
  }

  /** Retires this process's idle lease groups and waits for their slots to be let go; no lock held. */
  private void releaseIdleHolds() {
    leaseGroups.retireIdleAndWait(CxlLeaseGroups.CLOSE_WAIT_NANOS);
  }

  /** Repairs the region after a stale holder's lock was broken (under both locks). */
  private void repair() {
    CxlFormat.repair(region, slots, index, allocator, holds, counters.corrupt);
  }

  // ------------------------------------------------------------------------------------------
  // MemoryLayer

  @Override
  public String name() {
    return tier;
  }

  /** Durable (records survive close and a crash) and shared by every process that maps the region. */
  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.DURABLE, Capability.SHARED);
  }

  /**
   * Bytes of the data area (the region less its metadata): for a region the tier created for
   * {@code capacity}, that capacity in whole blocks.
   */
  public long capacityBytes() {
    return g.dataBytes();
  }

  /** The region's file or device. */
  public Path path() {
    return config.path();
  }

  /** How many times the region has been formatted. */
  public long generation() {
    return generation;
  }

  /** Committed artifacts found in the region when this layer opened. */
  public int recoveredArtifacts() {
    return recoveredArtifacts;
  }

  /** Stores left unfinished by dead processes whose room this layer's open reclaimed. */
  public int abandonedWritesReclaimed() {
    return abandonedWritesReclaimed;
  }

  /** Artifacts this layer removed because they expired ({@code kv_expire_time}). */
  public long expiredArtifacts() {
    return expiry.expired();
  }

  /** Removes every expired artifact now; what the maintenance thread runs every {@code cleanup_interval}. */
  void sweepExpired() {
    enter();
    try {
      expiry.sweep();
    } finally {
      exit();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>The slot's stamp: the last store or load of {@code id} by any process, which survives a
   * reopen (and is what {@code kv_expire_time} counts from).
   */
  @Override
  public Instant lastUsed(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    enter();
    try {
      int s = index.lookup(CxlHash.of(id));
      return s < 0 ? null : Instant.ofEpochMilli(slots.stamp(s));
    } finally {
      exit();
    }
  }

  /** How often a stale holder's region lock has been broken, over the region's life. */
  public long lockBreaks() {
    return region.getVolatile(CxlLayout.LOCK_BREAKS_OFFSET);
  }

  /**
   * {@inheritDoc}
   *
   * @throws CapacityException if the record is larger than the data area or cannot fit beside
   *     held artifacts
   * @throws LayerUnavailableException if the layer is closed
   */
  @Override
  public void put(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    Objects.requireNonNull(payload, "payload");
    try (CxlReservation r = reserve(id, meta, payload.byteSize())) {
      r.fill(payload);
      r.commit();
    }
  }

  /**
   * Claims room in the region for an artifact of {@code size} bytes; the caller writes the payload
   * straight into the region through {@link Reservation#segment()} and commits. Evicts as a store
   * does.
   *
   * @throws CapacityException if the record cannot fit
   */
  @Override
  public CxlReservation reserve(ArtifactId id, ArtifactMeta meta, long size) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(meta, "meta");
    if (size < 0) {
      throw new IllegalArgumentException("size: " + size + " (expected: >= 0)");
    }
    enter();
    boolean success = false;
    try {
      byte[] header = RecordCodec.headerJson(id, meta);
      long prefix = RecordLayout.payloadOffset(header.length, alignment);
      long recordLength = prefix + size;
      if (g.blocksOf(recordLength) > g.dataBlocks()) {
        throw eviction.refuse(new CapacityException(
            where + ": artifact " + id + " of " + size + " bytes needs a record of " + recordLength
                + " bytes (expected: at most the tier's capacity, " + g.dataBytes() + " bytes)"));
      }
      CxlHash h = CxlHash.of(id);
      if (!allocator.looksRoomy(g.blocksOf(recordLength))) {
        releaseIdleHolds(); // closed leases' slots may be what eviction needs
      }
      int slot = eviction.claimWaitingForReleases(id, h, recordLength, RELEASE_WAIT_NANOS);
      long recordAt = g.dataAt(slots.recordOffset(slot));
      CxlReservation r = new CxlReservation(this, id, h, slot, header, recordAt, prefix, size);
      success = true;
      return r;
    } finally {
      if (!success) {
        exit();
      }
    }
  }

  /** Writes the prefix and publishes {@code slot}; ends the reservation's use of the layer. */
  void commit(CxlReservation r, int crc) {
    boolean published = false;
    try {
      byte[] prefix = RecordCodec.encodePrefix(r.header, r.size, crc, alignment);
      MemorySegment.copy(MemorySegment.ofArray(prefix), 0, region.segment(), r.recordAt, prefix.length);
      int replaced = guard.locked(() -> publishLocked(r.id, r.hash, r.slot, r.header.length, r.size, crc));
      published = true;
      if (replaced >= 0 && slots.state(replaced) == CxlLayout.RETIRED) {
        releaseIdleHolds(); // an idle group of this process may hold the replaced version
      }
      eviction.stored(r.id, r.hash, prefix.length + r.size);
      counters.puts.increment();
    } finally {
      if (!published) {
        giveBack(r.slot);
      }
      exit();
    }
  }

  /** Gives back a reservation's slot and blocks. */
  void abandon(CxlReservation r) {
    try {
      giveBack(r.slot);
    } finally {
      exit();
    }
  }

  private void giveBack(int slot) {
    guard.run(() -> {
      if (slots.state(slot) == CxlLayout.WRITING && slots.owner(slot) == holds.me()) {
        allocator.freeLocked(slot);
      }
    });
  }

  /** A writable view of {@code size} bytes of the region at {@code at}, bound to {@code arena}. */
  MemorySegment view(long at, long size, Arena arena) {
    return region.view(at, size, arena);
  }

  /** Publishes slot {@code s}; returns the slot of the version it replaced, or -1. */
  private int publishLocked(ArtifactId id, CxlHash h, int s, int headerLength, long payloadLength, int crc) {
    long seq = region.getAndAdd(CxlLayout.COMMIT_SEQ_OFFSET, 1) + 1;
    slots.fillCommit(s, seq, payloadLength, crc, headerLength);
    slots.markVerified(s, seq); // the checksum was computed from the bytes as they were copied
    int old = index.lookupLocked(h);
    slots.publishState(s, CxlLayout.COMMITTED);
    if (old >= 0) {
      index.replaceLocked(h, old, s);
      holds.movePin(id, old, s);
      allocator.retireLocked(old);
    } else {
      index.insertLocked(h, s);
    }
    return old;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Checks the record; its payload's checksum too, except with {@code verify: once} for a
   * commit this process wrote or already checked (see {@link CxlLoads}). A record that fails is
   * dropped, counted and reported absent. The lease is a view of the region: zero copies.
   */
  @Override
  public Lease get(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    enter();
    try {
      return loads.get(id);
    } finally {
      exit();
    }
  }

  /**
   * Copies the payload of {@code id} into {@code dst} at offset 0 and returns its size, or -1 if
   * the tier does not hold it; a payload whose checksum is to be checked is checked as it is
   * copied, in one pass (see {@link CxlLoads#loadInto}). A record that fails is dropped, counted and
   * reported absent ({@code dst} may then hold part of it).
   *
   * @throws IllegalArgumentException if {@code dst} is read-only or smaller than the payload
   *     (nothing copied)
   */
  public long loadInto(ArtifactId id, MemorySegment dst) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(dst, "dst");
    if (dst.isReadOnly()) {
      throw new IllegalArgumentException("dst: a read-only segment (expected: writable)");
    }
    enter();
    try {
      return loads.loadInto(id, dst);
    } finally {
      exit();
    }
  }

  /** A new lease (or lease group) keeps the region mapped until it ends. */
  void retain() {
    users.incrementAndGet();
  }

  /** A lease of {@code group} was closed; its slot stays held until the group's arena closes. */
  void release(CxlLeaseGroups.Group group) {
    try {
      counters.openLeases.decrementAndGet();
      leaseGroups.leave(group);
      if (closed) {
        releaseIdleHolds();
      }
    } finally {
      exit();
    }
  }

  @Override
  public boolean contains(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    enter();
    try {
      CxlHash h = CxlHash.of(id);
      int s = index.lookup(h);
      if (s >= 0 && expiry.isExpired(s)) {
        expiry.expire(s, slots.seq(s), h);
        return false;
      }
      return s >= 0;
    } finally {
      exit();
    }
  }

  @Override
  public boolean delete(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    enter();
    try {
      CxlHash h = CxlHash.of(id);
      boolean removed = guard.locked(() -> {
        int s = index.lookupLocked(h);
        if (s < 0) {
          return false;
        }
        int pinned = holds.dropPin(id);
        index.removeLocked(h, s);
        allocator.retireLocked(s);
        if (pinned >= 0 && pinned != s) {
          allocator.freeIfRetiredAndUnheldLocked(pinned);
        }
        return true;
      });
      if (removed) {
        eviction.forget(id);
        releaseIdleHolds(); // an idle group of this process may hold the deleted slot
      }
      return removed;
    } finally {
      exit();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A pin is a hold: no process evicts or reuses the pinned version while it lasts. A store of
   * the same id by this process moves the pin to the new version; a store by another process
   * leaves it on the old version, which stays in the region, invisible, until unpinned.
   */
  @Override
  public boolean pin(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    enter();
    try {
      return pins.pin(id);
    } finally {
      exit();
    }
  }

  @Override
  public boolean unpin(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    enter();
    try {
      return pins.unpin(id);
    } finally {
      exit();
    }
  }

  @Override
  public List<ArtifactId> ids() {
    enter();
    try {
      List<ArtifactId> out = new ArrayList<>();
      for (int s = 0; s < slots.count(); s++) {
        if (CxlLayout.isVisible(slots.state(s)) && !expiry.isExpired(s)) {
          ArtifactId id = slots.idOf(s);
          if (id != null && CxlLayout.isVisible(slots.state(s))) {
            out.add(id);
          }
        }
      }
      return out;
    } finally {
      exit();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Used bytes and artifacts are the region's, counting every process; the other counters are
   * this layer's.
   */
  @Override
  public LayerStats stats() {
    enter();
    try {
      int pinned = guard.inProcess(holds::pinCount);
      return new LayerStats(tier, g.dataBytes(), allocator.usedBlocks() * g.blockBytes(), index.artifacts(),
          counters.openLeases.get(), pinned, counters.hits.sum(), counters.misses.sum(), counters.puts.sum(),
          eviction.evictions(), eviction.rejected(), counters.corrupt.sum());
    } finally {
      exit();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Checks every slot and record and the index against them, under the region lock (see {@link
   * CxlCheck} for what is found and what repair does). Open the layer with {@code exclusive: true}
   * for it, so that no other process uses the region meanwhile.
   *
   * @throws LayerUnavailableException naming the other processes if any other live process has the
   *     region open
   */
  @Override
  public CheckReport check(boolean repair) {
    enter();
    try {
      releaseIdleHolds();
      return guard.locked(() -> {
        List<Integer> others = holds.otherLivePidsLocked();
        if (!others.isEmpty()) {
          throw new LayerUnavailableException(where + ": region " + config.path() + " is also open in process"
              + (others.size() == 1 ? " " : "es ") + others + " (expected: no other process while checking; open"
              + " the tier with exclusive: true)");
        }
        return new CxlCheck(tier, region, g, slots, index, allocator, holds, guard::renewRegionLock)
            .run(repair, counters.corrupt);
      });
    } finally {
      exit();
    }
  }

  @Override
  public void setEvictionListener(EvictionListener listener) {
    Objects.requireNonNull(listener, "listener");
    enter();
    try {
      eviction.setListener(listener);
    } finally {
      exit();
    }
  }

  /**
   * Closes the layer: drops this process's pins and, once the open leases are closed too, leaves
   * the region's process table and unmaps the region. What the region holds stays for other
   * processes and later opens. Idempotent.
   */
  @Override
  public void close() {
    synchronized (users) {
      if (closed) {
        return;
      }
      closed = true;
    }
    eviction.close();
    releaseIdleHolds();
    maintenance.close();
    pins.dropAll();
    exit();
  }

  // ------------------------------------------------------------------------------------------
  // Life cycle

  private void enter() {
    while (true) {
      long u = users.get();
      if (u == 0 || closed) {
        throw new LayerUnavailableException(where + " is closed");
      }
      if (users.compareAndSet(u, u + 1)) {
        if (closed) {
          exit();
          throw new LayerUnavailableException(where + " is closed");
        }
        return;
      }
    }
  }

  private void exit() {
    if (users.decrementAndGet() == 0) {
      detach();
    }
  }

  private void detach() {
    if (!detached.compareAndSet(false, true)) {
      return;
    }
    try {
      guard.lockedRaw(() -> {
        holds.detachLocked();
        if (!config.exclusive()) { // an exclusive open (fsck) leaves the region as it found it
          allocator.reclaimRetiredLocked();
        }
        return null;
      });
    } finally {
      region.close();
    }
  }
}
