package io.stratacache.backend.cxl;

import static io.stratacache.backend.cxl.CxlLayout.COMMITTED;
import static io.stratacache.backend.cxl.CxlLayout.EVICTING;
import static io.stratacache.backend.cxl.CxlLayout.FREE;
import static io.stratacache.backend.cxl.CxlLayout.RETIRED;
import static io.stratacache.backend.cxl.CxlLayout.WRITING;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.CodecException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.core.codec.RecordLayout;
import io.stratacache.spi.Capability;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.EvictionPolicy;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * The CXL / shared-memory tier: artifacts as {@linkplain RecordLayout SCR1 records} in a mapped
 * region whose metadata lives in the region itself ({@link CxlLayout}), so that other processes
 * mapping it and later runs find what was stored.
 *
 * <h2>Design</h2>
 *
 * <p><b>Commit protocol.</b> A store claims a free slot and a run of free blocks under the region
 * lock, marking the slot {@code WRITING} with its owner; copies the payload and writes the record
 * prefix with no lock held, checksumming each piece as it is copied; then, under the lock, fills
 * in the slot's checksum and commit sequence and publishes the slot {@code COMMITTED} with a
 * release store before pointing the index at it. Loads take no lock: they find the slot through
 * the index, check that it is visible, and check the record (magic, header checksum, id, length
 * and payload CRC32C against both the record and the slot). A writer that dies before the commit
 * leaves a {@code WRITING} slot that never reads as valid, and recovery returns its blocks.
 *
 * <p><b>Allocator.</b> The data area is an array of {@code block_size} blocks with a bitmap in the
 * region. A record takes a contiguous run (a lease is one zero-copy segment), found next-fit from
 * a rover by scanning the bitmap a word at a time. Freed runs are reused by later stores of any
 * size that fits. When no run or no slot is free, retired slots that nobody holds any more are
 * reclaimed, then artifacts are evicted in the order of the eviction policy (then, for artifacts
 * this process has never seen, oldest stamp first) until a run fits; the victim is marked {@code
 * EVICTING}, the listener is called with no lock held while the victim stays loadable, and the
 * victim is freed only if the listener agreed and no process holds it. A store that cannot make
 * room fails with {@link CapacityException}. As a last resort a store may evict the older version
 * of its own id; loads then miss it until the new version commits.
 *
 * <p><b>Leases and holds.</b> A lease is a read-only view of the region bound to an arena of its
 * own (closed when the lease closes). A slot that some process leases or pins is <em>held</em>:
 * each process sets slot bits in its own hold bitmap in the region, so no process evicts or reuses
 * a held slot. Deleting or replacing a held artifact retires its slot ({@code RETIRED}: invisible,
 * blocks kept); its blocks are freed when the last hold is released. A reader sets its bit before
 * checking the slot again, and a retirer marks the slot before reading the bits, each with full
 * fences, so one of them always sees the other. Holds of a process that died are ignored and
 * cleared. This protection holds across processes.
 *
 * <p><b>Recovery.</b> At open, and whenever a dead or expired holder's region lock is broken, the
 * region is repaired under the lock: slots of dead writers are freed, dead evicters' marks undone,
 * unheld retired slots freed, slots whose extent is impossible dropped, duplicate versions of an id
 * resolved to the newest commit, and the block bitmap, the index and the counters rebuilt from the
 * slots. Live processes' slots and holds are left alone, so a process may open the region while
 * others use it.
 *
 * <p><b>Durability.</b> Survives the death of any process; a regular or {@code /dev/shm} file
 * also survives a restart of every process (not of the machine for {@code /dev/shm}). Nothing is
 * flushed to a persistence domain, so a power failure may lose or tear anything: the checksums
 * then make torn records read as absent, never as wrong bytes.
 */
public final class CxlLayer implements MemoryLayer {
  private static final System.Logger LOG = System.getLogger(CxlLayer.class.getName());
  private static final long COPY_CHUNK = 4 << 20;
  private static final int HOLD_STRIPES = 64;
  private static final int PID = (int) ProcessHandle.current().pid();
  private static final Map<Path, ReentrantLock> PROCESS_MUTEXES = new ConcurrentHashMap<>();
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  });

  private final String tier;
  private final CxlConfig config;
  private final CxlRegion region;
  private final CxlRegionLock regionLock;
  private final ReentrantLock mutex;
  private final CxlLayout.Geometry g;
  private final long me;
  private final int myProcess;
  private final int alignment;

  /** Guarded by {@link #policyLock}: ids this process stored or loaded, in eviction order. */
  private final EvictionPolicy policy;
  private final Map<ArtifactId, Hash> known = new HashMap<>();
  private final ReentrantLock policyLock = new ReentrantLock();
  /** Guarded by {@link #mutex}: this process's pins, by id. */
  private final Map<ArtifactId, Pin> pins = new HashMap<>();
  /** Per slot, this process's leases and pins on it; guarded by the slot's hold stripe. */
  private final int[] holds;
  /** Per slot, the commit whose payload checksum this process checked ({@code verify: once}). */
  private final long[] verifiedSeq;
  private final Object[] holdStripes = new Object[HOLD_STRIPES];

  private volatile EvictionListener listener = EvictionListener.DROP;
  private volatile boolean closed;
  /** 1 for the open layer, plus calls in progress and open leases; the region is unmapped at 0. */
  private final AtomicLong users = new AtomicLong(1);
  private final AtomicBoolean detached = new AtomicBoolean();

  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder puts = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder corrupt = new LongAdder();
  private final AtomicLong openLeases = new AtomicLong();
  private final long generation;
  private final int recoveredArtifacts;
  private final int abandonedWritesReclaimed;

  /** The 128 bits of SHA-256 of an id that the region indexes it by. */
  record Hash(long hi, long lo) {
    static Hash of(ArtifactId id) {
      byte[] d = SHA256.get().digest(id.value().getBytes(StandardCharsets.UTF_8));
      long hi = 0;
      long lo = 0;
      for (int i = 0; i < 8; i++) {
        hi = hi << 8 | (d[i] & 0xff);
        lo = lo << 8 | (d[8 + i] & 0xff);
      }
      return new Hash(hi, lo);
    }

    int fragment() {
      return (int) lo;
    }
  }

  private static final class Pin {
    int count;
    int slot;

    Pin(int slot) {
      this.slot = slot;
      this.count = 1;
    }
  }

  private record Victim(int slot, long seq, ArtifactId id, Hash hash) {}

  /**
   * Opens the tier described by {@code spec} (see {@link CxlConfig} for its settings).
   *
   * @throws io.stratacache.core.ConfigException if a setting is unknown or invalid
   * @throws LayerUnavailableException if the region cannot be mapped or is not a region of this
   *     version
   */
  public static CxlLayer open(LayerSpec spec) {
    return open(spec.tier(), CxlConfig.from(spec));
  }

  /** Opens a tier named {@code tier} with {@code config}. */
  public static CxlLayer open(String tier, CxlConfig config) {
    return new CxlLayer(tier, config);
  }

  private CxlLayer(String tier, CxlConfig config) {
    this.tier = Objects.requireNonNull(tier, "tier");
    this.config = Objects.requireNonNull(config, "config");
    this.region = CxlRegion.map(tier, config, newRegionBytes(config));
    boolean success = false;
    try {
      this.mutex = PROCESS_MUTEXES.computeIfAbsent(canonical(config.path()), p -> new ReentrantLock());
      this.regionLock = new CxlRegionLock(region, config.lockLease().toMillis(), PID);
      this.me = (long) PID << 32 | (ThreadLocalRandom.current().nextInt() & 0xFFFF_FFFFL | 1);
      this.policy = EvictionPolicy.forName(config.evictionPolicy());
      mutex.lock();
      try {
        regionLock.acquire();
        try {
          this.g = formatOrValidate();
          this.myProcess = attach();
          this.abandonedWritesReclaimed = repair();
          this.generation = region.getVolatile(CxlLayout.GENERATION_OFFSET);
        } finally {
          releaseRegionLock();
        }
      } finally {
        mutex.unlock();
      }
      this.alignment = region.getInt(CxlLayout.ALIGNMENT_OFFSET);
      this.holds = new int[g.slotCount()];
      this.verifiedSeq = new long[g.slotCount()];
      for (int i = 0; i < HOLD_STRIPES; i++) {
        holdStripes[i] = new Object();
      }
      this.recoveredArtifacts = learnStoredIds();
      if (config.capacityBytes() > 0 && config.capacityBytes() > g.dataBytes()) {
        LOG.log(System.Logger.Level.WARNING, where() + ": region " + config.path() + " holds " + g.dataBytes()
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

  private static long newRegionBytes(CxlConfig c) {
    if (c.sizeBytes() > 0) {
      return c.sizeBytes();
    }
    if (c.capacityBytes() <= 0) {
      return -1;
    }
    return CxlLayout.Geometry.regionBytesFor(c.capacityBytes(), c.slotsFor(c.capacityBytes()), c.blockBytes(), c.maxProcesses());
  }

  private static Path canonical(Path p) {
    try {
      return p.toRealPath();
    } catch (java.io.IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Format, attach, repair (all under the region lock)

  private CxlLayout.Geometry formatOrValidate() {
    long magic = region.getVolatile(CxlLayout.MAGIC_OFFSET);
    if (magic == CxlLayout.MAGIC && !config.resetMetadata()) {
      return validate();
    }
    if (magic == CxlLayout.MAGIC && anotherLiveProcess()) {
      throw new LayerUnavailableException(
          where() + ": reset_metadata is set but another live process has region " + config.path()
              + " open (expected: reset only while no other process maps the region)");
    }
    long previousGeneration = magic == CxlLayout.MAGIC ? region.getLong(CxlLayout.GENERATION_OFFSET) : 0;
    return format(previousGeneration + 1);
  }

  private CxlLayout.Geometry validate() {
    int version = region.getInt(CxlLayout.VERSION_OFFSET);
    if (version != CxlLayout.VERSION) {
      throw new LayerUnavailableException(
          where() + ": region " + config.path() + " has layout version " + version + " (expected: " + CxlLayout.VERSION
              + "); set tiers." + tier + ".reset_metadata: true to format it, dropping what it holds");
    }
    CxlLayout.Geometry stored = CxlLayout.Geometry.of(
        region.getLong(CxlLayout.REGION_BYTES_OFFSET),
        region.getInt(CxlLayout.SLOT_COUNT_OFFSET),
        region.getInt(CxlLayout.BLOCK_BYTES_OFFSET),
        region.getInt(CxlLayout.ALIGNMENT_OFFSET),
        region.getInt(CxlLayout.MAX_PROCESSES_OFFSET));
    boolean consistent = stored.regionBytes() == region.size()
        && region.getInt(CxlLayout.SLOT_BYTES_OFFSET) == CxlLayout.SLOT_BYTES
        && region.getInt(CxlLayout.HEADER_BYTES_OFFSET) == CxlLayout.HEADER_BYTES
        && stored.dataOffset() == region.getLong(CxlLayout.DATA_AREA_OFFSET)
        && stored.dataBlocks() == region.getLong(CxlLayout.DATA_BLOCKS_OFFSET)
        && stored.indexOffset() == region.getLong(CxlLayout.INDEX_AREA_OFFSET)
        && stored.bitmapOffset() == region.getLong(CxlLayout.BITMAP_AREA_OFFSET)
        && stored.dataBlocks() > 0;
    if (!consistent) {
      throw new LayerUnavailableException(
          where() + ": region " + config.path() + " of " + region.size() + " bytes has a header for " + stored.regionBytes()
              + " bytes or inconsistent offsets (expected: the header this tier wrote); set tiers." + tier
              + ".reset_metadata: true to format it, dropping what it holds");
    }
    return stored;
  }

  private CxlLayout.Geometry format(long generation) {
    long size = region.size();
    int slots = config.slotsFor(Math.max(size - CxlLayout.HEADER_BYTES, 0));
    CxlLayout.Geometry geo = CxlLayout.Geometry.of(size, slots, config.blockBytes(), config.alignment(), config.maxProcesses());
    if (geo.dataBlocks() < 1) {
      throw new LayerUnavailableException(
          where() + ": region " + config.path() + " of " + size + " bytes is too small for " + slots + " slots and one block"
              + " (expected: at least " + (geo.dataOffset() + geo.blockBytes()) + " bytes)");
    }
    region.setVolatile(CxlLayout.MAGIC_OFFSET, 0);
    region.segment().asSlice(8, CxlLayout.LOCK_OFFSET - 8).fill((byte) 0);
    region.segment().asSlice(CxlLayout.LOCK_OFFSET + 8, geo.dataOffset() - CxlLayout.LOCK_OFFSET - 8).fill((byte) 0);
    region.setInt(CxlLayout.VERSION_OFFSET, CxlLayout.VERSION);
    region.setInt(CxlLayout.HEADER_BYTES_OFFSET, CxlLayout.HEADER_BYTES);
    region.setLong(CxlLayout.REGION_BYTES_OFFSET, size);
    region.setInt(CxlLayout.SLOT_COUNT_OFFSET, slots);
    region.setInt(CxlLayout.SLOT_BYTES_OFFSET, CxlLayout.SLOT_BYTES);
    region.setInt(CxlLayout.BLOCK_BYTES_OFFSET, geo.blockBytes());
    region.setInt(CxlLayout.ALIGNMENT_OFFSET, geo.alignment());
    region.setInt(CxlLayout.MAX_PROCESSES_OFFSET, geo.maxProcesses());
    region.setLong(CxlLayout.INDEX_BUCKETS_OFFSET, geo.buckets());
    region.setLong(CxlLayout.SLOTS_AREA_OFFSET, geo.slotsOffset());
    region.setLong(CxlLayout.INDEX_AREA_OFFSET, geo.indexOffset());
    region.setLong(CxlLayout.PROCESSES_AREA_OFFSET, geo.processesOffset());
    region.setLong(CxlLayout.HOLDS_AREA_OFFSET, geo.holdsOffset());
    region.setLong(CxlLayout.BITMAP_AREA_OFFSET, geo.bitmapOffset());
    region.setLong(CxlLayout.DATA_AREA_OFFSET, geo.dataOffset());
    region.setLong(CxlLayout.DATA_BLOCKS_OFFSET, geo.dataBlocks());
    region.setLong(CxlLayout.GENERATION_OFFSET, generation);
    region.setLong(CxlLayout.FREE_SLOTS_OFFSET, slots);
    region.setVolatile(CxlLayout.MAGIC_OFFSET, CxlLayout.MAGIC);
    return geo;
  }

  private boolean anotherLiveProcess() {
    int processes = region.getInt(CxlLayout.MAX_PROCESSES_OFFSET);
    long processesOffset = region.getLong(CxlLayout.PROCESSES_AREA_OFFSET);
    for (int p = 0; p < processes; p++) {
      long w = region.getVolatile(processesOffset + (long) p * CxlLayout.PROCESS_BYTES + CxlLayout.PROCESS_WORD);
      if (w != 0 && CxlRegionLock.isAlive(CxlRegionLock.ownerPid(w))) {
        return true;
      }
    }
    return false;
  }

  private int attach() {
    for (int p = 0; p < g.maxProcesses(); p++) {
      long off = g.process(p);
      long w = region.getVolatile(off + CxlLayout.PROCESS_WORD);
      if (w == 0 || !CxlRegionLock.isAlive(CxlRegionLock.ownerPid(w))) {
        clearHolds(p);
        region.setLong(off + CxlLayout.PROCESS_ATTACHED, System.currentTimeMillis());
        region.setVolatile(off + CxlLayout.PROCESS_WORD, me);
        return p;
      }
    }
    throw new LayerUnavailableException(
        where() + ": region " + config.path() + " is mapped by " + g.maxProcesses() + " live processes (expected: at most"
            + " tiers." + tier + ".max_processes - 1 others; format with a larger max_processes and reset_metadata)");
  }

  private void clearHolds(int p) {
    long words = CxlLayout.holdWords(g.slotCount());
    region.segment().asSlice(g.holdWord(p, 0), words * 8).fill((byte) 0);
  }

  /** The process words of live processes attached to the region. */
  private Set<Long> liveProcesses() {
    Set<Long> live = new HashSet<>();
    for (int p = 0; p < g.maxProcesses(); p++) {
      long w = region.getVolatile(g.process(p) + CxlLayout.PROCESS_WORD);
      if (w == me || (w != 0 && CxlRegionLock.isAlive(CxlRegionLock.ownerPid(w)))) {
        live.add(w);
      }
    }
    return live;
  }

  /**
   * Brings the region back to a consistent state from its slots; see the class comment. Called
   * under the region lock at open and after breaking a stale holder's lock. Returns how many
   * stores that dead processes left unfinished it reclaimed.
   */
  private int repair() {
    int abandonedWrites = 0;
    Set<Long> live = new HashSet<>();
    for (int p = 0; p < g.maxProcesses(); p++) {
      long off = g.process(p);
      long w = region.getVolatile(off + CxlLayout.PROCESS_WORD);
      if (w == me || (w != 0 && CxlRegionLock.isAlive(CxlRegionLock.ownerPid(w)))) {
        live.add(w);
      } else if (w != 0) {
        clearHolds(p);
        region.setVolatile(off + CxlLayout.PROCESS_WORD, 0);
      }
    }
    // 1. Undo what dead processes left half-done; drop impossible slots; newest version per id.
    Map<Hash, Integer> newest = new HashMap<>();
    for (int s = 0; s < g.slotCount(); s++) {
      long state = state(s);
      long owner = region.getLong(g.slot(s) + CxlLayout.SLOT_OWNER);
      if (state == WRITING && !live.contains(owner)) {
        setState(s, FREE);
        abandonedWrites++;
      } else if (state == EVICTING && !live.contains(owner)) {
        setState(s, COMMITTED);
      } else if (state != FREE && state != WRITING && state != COMMITTED && state != EVICTING && state != RETIRED) {
        corrupt.increment();
        setState(s, FREE);
      }
      if (CxlLayout.isVisible(state(s))) {
        Hash h = slotHash(s);
        Integer other = newest.putIfAbsent(h, s);
        if (other != null) {
          int older = seq(other) < seq(s) ? other : s;
          newest.put(h, older == s ? other : s);
          setState(older, RETIRED);
        }
      }
    }
    // 2. Rebuild the block bitmap from the slots, freeing unheld retired slots and overlaps.
    region.segment().asSlice(g.bitmapOffset(), g.bitmapWordCount() * 8).fill((byte) 0);
    markTailBlocks();
    long used = 0;
    long free = 0;
    long retired = 0;
    for (int s = 0; s < g.slotCount(); s++) {
      long state = state(s);
      if (state == RETIRED && !heldAnywhere(s)) {
        state = setState(s, FREE);
      }
      if (state != FREE && !markExtent(s)) {
        corrupt.increment();
        newest.values().remove(s);
        state = setState(s, FREE);
      }
      if (state == FREE) {
        free++;
      } else {
        used += blocksOf(region.getLong(g.slot(s) + CxlLayout.SLOT_RECORD_LENGTH));
        if (state == RETIRED) {
          retired++;
        }
      }
    }
    // 3. Rebuild the index and the counters.
    rebuildIndex(newest);
    region.setVolatile(CxlLayout.USED_BLOCKS_OFFSET, used);
    region.setVolatile(CxlLayout.ARTIFACTS_OFFSET, newest.size());
    region.setVolatile(CxlLayout.FREE_SLOTS_OFFSET, free);
    region.setVolatile(CxlLayout.RETIRED_SLOTS_OFFSET, retired);
    long maxSeq = region.getLong(CxlLayout.COMMIT_SEQ_OFFSET);
    for (int s : newest.values()) {
      maxSeq = Math.max(maxSeq, seq(s));
    }
    region.setVolatile(CxlLayout.COMMIT_SEQ_OFFSET, maxSeq);
    return abandonedWrites;
  }

  private void markTailBlocks() {
    long words = g.bitmapWordCount();
    long tailBits = words * 64 - g.dataBlocks();
    if (tailBits > 0) {
      long lastWord = g.bitmapWord(g.dataBlocks() - 1);
      region.setLong(lastWord, region.getLong(lastWord) | (-1L << (64 - tailBits)));
    }
  }

  /** Sets the bits of slot {@code s}'s extent; false if it is impossible or overlaps another. */
  private boolean markExtent(int s) {
    long so = g.slot(s);
    long off = region.getLong(so + CxlLayout.SLOT_RECORD_OFFSET);
    long len = region.getLong(so + CxlLayout.SLOT_RECORD_LENGTH);
    if (off < 0 || len < RecordLayout.PREFIX_BYTES || off % g.blockBytes() != 0 || off + len > g.dataBytes() || off + len < off) {
      return false;
    }
    long first = off / g.blockBytes();
    long n = blocksOf(len);
    for (long b = first; b < first + n; b++) {
      if (bit(b)) {
        return false;
      }
    }
    setBlocks(first, n, true);
    return true;
  }

  private void rebuildIndex(Map<Hash, Integer> visible) {
    long seq = region.getVolatile(CxlLayout.INDEX_SEQ_OFFSET);
    long odd = (seq | 1) == seq ? seq + 2 : seq + 1;
    region.setVolatile(CxlLayout.INDEX_SEQ_OFFSET, odd);
    region.segment().asSlice(g.indexOffset(), g.buckets() * 8).fill((byte) 0);
    visible.forEach(this::insertIndex);
    region.setVolatile(CxlLayout.INDEX_SEQ_OFFSET, odd + 1);
  }

  /** Reads every committed record's id into the eviction policy, oldest stamp first. */
  private int learnStoredIds() {
    List<int[]> slots = new ArrayList<>();
    for (int s = 0; s < g.slotCount(); s++) {
      if (CxlLayout.isVisible(state(s))) {
        slots.add(new int[] {s});
      }
    }
    slots.sort(Comparator.comparingLong(a -> region.getLong(g.slot(a[0]) + CxlLayout.SLOT_STAMP)));
    policyLock.lock();
    try {
      for (int[] a : slots) {
        ArtifactId id = idOf(a[0]);
        if (id != null) {
          policy.onInsert(id, region.getLong(g.slot(a[0]) + CxlLayout.SLOT_RECORD_LENGTH));
          known.put(id, slotHash(a[0]));
        }
      }
    } finally {
      policyLock.unlock();
    }
    return slots.size();
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

  /** Bytes of the data area (the region less its metadata). */
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
      if (blocksOf(recordLength) > g.dataBlocks()) {
        rejected.increment();
        throw new CapacityException(
            where() + ": artifact " + id + " of " + size + " bytes needs a record of " + recordLength
                + " bytes (expected: at most the tier's capacity, " + g.dataBytes() + " bytes)");
      }
      Hash h = Hash.of(id);
      int slot = claim(id, h, recordLength);
      long recordAt = g.dataOffset() + region.getLong(g.slot(slot) + CxlLayout.SLOT_RECORD_OFFSET);
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
      locked(() -> {
        publishLocked(r.id, r.hash, r.slot, r.header.length, r.size, crc);
        return null;
      });
      published = true;
      policyLock.lock();
      try {
        policy.onInsert(r.id, prefix.length + r.size);
        known.put(r.id, r.hash);
      } finally {
        policyLock.unlock();
      }
      puts.increment();
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
    locked(() -> {
      if (state(slot) == WRITING && region.getLong(g.slot(slot) + CxlLayout.SLOT_OWNER) == me) {
        freeLocked(slot);
      }
      return null;
    });
  }

  /**
   * Copies {@code src} into the region at {@code at}, returning the CRC32C of what it copied. The
   * copy goes in pieces of {@value #COPY_CHUNK} bytes, each checksummed right after it is copied,
   * from the source while it is still in the cache (from the region where the source cannot be
   * viewed as a buffer: a heap array other than {@code byte[]}). Measured on a 16 MiB store: the
   * checksum then adds about half a copy's time, against nearly a whole copy's when it reads the
   * region's fresh lines back in small pieces.
   */
  int copyChecksummed(MemorySegment src, long at) {
    CRC32C crc = new CRC32C();
    boolean fromSource = src.isNative() || src.heapBase().map(b -> b instanceof byte[]).orElse(false);
    long size = src.byteSize();
    for (long off = 0; off < size; off += COPY_CHUNK) {
      long n = Math.min(COPY_CHUNK, size - off);
      MemorySegment dst = region.segment().asSlice(at + off, n);
      MemorySegment.copy(src, off, dst, 0, n);
      crc.update((fromSource ? src.asSlice(off, n) : dst).asByteBuffer());
    }
    return (int) crc.getValue();
  }

  /** A writable view of {@code size} bytes of the region at {@code at}, bound to {@code arena}. */
  MemorySegment view(long at, long size, Arena arena) {
    return region.view(at, size, arena);
  }

  private int claim(ArtifactId id, Hash h, long recordLength) {
    long blocks = blocksOf(recordLength);
    Set<Integer> passedOver = new HashSet<>();
    boolean[] checked = {false};
    while (true) {
      Victim v = locked(() -> {
        int s = allocateLocked(h, blocks, recordLength);
        if (s >= 0) {
          return new Victim(s, -1, null, null);
        }
        if (!checked[0]) {
          checked[0] = true;
          if (!fitsAfterEvictingLocked(blocks)) {
            rejected.increment();
            throw new CapacityException(
                where() + ": no room for " + id + " (" + recordLength + " bytes of record): even with every artifact"
                    + " that no process holds evicted, no run of " + blocks + " free blocks or no free slot would exist"
                    + " (expected: room after evicting unheld artifacts; nothing was evicted)");
          }
        }
        Victim victim = pickVictimLocked(h, passedOver);
        if (victim != null) {
          return victim;
        }
        int own = lookupLocked(h);
        if (own >= 0 && state(own) == COMMITTED && !heldAnywhere(own)) {
          removeIndexLocked(h, own);
          region.setVolatile(CxlLayout.ARTIFACTS_OFFSET, region.getVolatile(CxlLayout.ARTIFACTS_OFFSET) - 1);
          retireLocked(own);
          return new Victim(-1, -1, null, null);
        }
        rejected.increment();
        throw new CapacityException(
            where() + ": no room for " + id + " (" + recordLength + " bytes of record): "
                + region.getVolatile(CxlLayout.USED_BLOCKS_OFFSET) * g.blockBytes() + " of " + g.dataBytes()
                + " bytes and " + (g.slotCount() - region.getVolatile(CxlLayout.FREE_SLOTS_OFFSET)) + " of "
                + g.slotCount() + " slots in use, and every other artifact is held (leased or pinned) by some"
                + " process, being stored or evicted, or kept by the eviction listener (expected: room after"
                + " evicting unheld artifacts)");
      });
      if (v.id == null) {
        if (v.slot >= 0) {
          return v.slot;
        }
        continue;
      }
      if (!evict(v)) {
        passedOver.add(v.slot);
      }
    }
  }

  /**
   * Whether a run of {@code blocks} and a slot would be free if every artifact that could be
   * evicted now were: committed, held by no process, not being stored or evicted (the older
   * version of the id being stored counts, as a store may take its place as a last resort). Works
   * on a scratch copy of the block bitmap; called when a store first finds no room, so that a
   * store that cannot fit evicts nothing.
   */
  private boolean fitsAfterEvictingLocked(long blocks) {
    long words = g.bitmapWordCount();
    long[] bits = new long[(int) words];
    for (int w = 0; w < words; w++) {
      bits[w] = region.getLong(g.bitmapOffset() + w * 8L);
    }
    long holdWords = CxlLayout.holdWords(g.slotCount());
    long[] heldBits = new long[(int) holdWords];
    for (int p = 0; p < g.maxProcesses(); p++) {
      long w = region.getVolatile(g.process(p) + CxlLayout.PROCESS_WORD);
      if (p == myProcess || (w != 0 && CxlRegionLock.isAlive(CxlRegionLock.ownerPid(w)))) {
        for (int i = 0; i < holdWords; i++) {
          heldBits[i] |= region.getVolatile(g.holdWord(p, i << 6));
        }
      }
    }
    boolean slot = region.getVolatile(CxlLayout.FREE_SLOTS_OFFSET) > 0;
    for (int s = 0; s < g.slotCount(); s++) {
      if (state(s) != COMMITTED || (heldBits[s >>> 6] & (1L << (s & 63))) != 0) {
        continue;
      }
      slot = true;
      long so = g.slot(s);
      long first = region.getLong(so + CxlLayout.SLOT_RECORD_OFFSET) / g.blockBytes();
      long end = first + blocksOf(region.getLong(so + CxlLayout.SLOT_RECORD_LENGTH));
      for (long b = first; b < end; b++) {
        bits[(int) (b >>> 6)] &= ~(1L << (b & 63));
      }
    }
    if (!slot) {
      return false;
    }
    long run = 0;
    for (long b = 0; b < g.dataBlocks(); ) {
      long word = bits[(int) (b >>> 6)];
      if ((b & 63) == 0 && (word == 0 || word == -1L)) {
        run = word == 0 ? run + 64 : 0;
        b += 64;
      } else {
        run = (word & (1L << (b & 63))) == 0 ? run + 1 : 0;
        b++;
      }
      if (run >= blocks) {
        return true;
      }
    }
    return false;
  }

  /** A free slot and run of {@code blocks}, claimed WRITING for this process; or -1. */
  private int allocateLocked(Hash h, long blocks, long recordLength) {
    int s = findFreeSlot();
    long start = s >= 0 ? findRun(blocks) : -1;
    if ((s < 0 || start < 0) && region.getVolatile(CxlLayout.RETIRED_SLOTS_OFFSET) > 0 && reclaimRetiredLocked() > 0) {
      s = findFreeSlot();
      start = s >= 0 ? findRun(blocks) : -1;
    }
    if (s < 0 || start < 0) {
      return -1;
    }
    setBlocks(start, blocks, true);
    region.setVolatile(CxlLayout.USED_BLOCKS_OFFSET, region.getVolatile(CxlLayout.USED_BLOCKS_OFFSET) + blocks);
    region.setLong(CxlLayout.BLOCK_ROVER_OFFSET, start + blocks);
    long so = g.slot(s);
    region.setLong(so + CxlLayout.SLOT_OWNER, me);
    region.setLong(so + CxlLayout.SLOT_HASH_HI, h.hi());
    region.setLong(so + CxlLayout.SLOT_HASH_LO, h.lo());
    region.setLong(so + CxlLayout.SLOT_RECORD_OFFSET, start * g.blockBytes());
    region.setLong(so + CxlLayout.SLOT_RECORD_LENGTH, recordLength);
    region.setLong(so + CxlLayout.SLOT_PAYLOAD_LENGTH, 0);
    region.setLong(so + CxlLayout.SLOT_SEQ, 0);
    region.setLong(so + CxlLayout.SLOT_STAMP, System.currentTimeMillis());
    region.setRelease(so + CxlLayout.SLOT_STATE, WRITING);
    region.setVolatile(CxlLayout.FREE_SLOTS_OFFSET, region.getVolatile(CxlLayout.FREE_SLOTS_OFFSET) - 1);
    region.setLong(CxlLayout.SLOT_ROVER_OFFSET, s + 1);
    return s;
  }

  private void publishLocked(ArtifactId id, Hash h, int s, int headerLength, long payloadLength, int crc) {
    long so = g.slot(s);
    long seq = region.getVolatile(CxlLayout.COMMIT_SEQ_OFFSET) + 1;
    region.setVolatile(CxlLayout.COMMIT_SEQ_OFFSET, seq);
    region.setLong(so + CxlLayout.SLOT_PAYLOAD_LENGTH, payloadLength);
    region.setInt(so + CxlLayout.SLOT_CRC, crc);
    region.setInt(so + CxlLayout.SLOT_HEADER_LENGTH, headerLength);
    region.setLong(so + CxlLayout.SLOT_SEQ, seq);
    region.setLong(so + CxlLayout.SLOT_STAMP, System.currentTimeMillis());
    int old = lookupLocked(h);
    region.setRelease(so + CxlLayout.SLOT_STATE, COMMITTED);
    if (old >= 0) {
      replaceIndexLocked(h, old, s);
      Pin pin = pins.get(id);
      if (pin != null && pin.slot == old) {
        hold(s);
        pin.slot = s;
        unhold(old);
      }
      retireLocked(old);
    } else {
      insertIndex(h, s);
      region.setVolatile(CxlLayout.ARTIFACTS_OFFSET, region.getVolatile(CxlLayout.ARTIFACTS_OFFSET) + 1);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Checks the record, payload checksum included; one that fails is dropped, counted and
   * reported absent. The lease is a view of the region: zero copies.
   */
  @Override
  public Lease get(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    enter();
    try {
      Hash h = Hash.of(id);
      while (true) {
        int s = lookup(h);
        if (s < 0) {
          misses.increment();
          return null;
        }
        long so = g.slot(s);
        long seq = region.getVolatile(so + CxlLayout.SLOT_SEQ);
        hold(s);
        boolean leased = false;
        String corruptReason = null;
        try {
          if (!CxlLayout.isVisible(region.getVolatile(so + CxlLayout.SLOT_STATE))
              || region.getVolatile(so + CxlLayout.SLOT_SEQ) != seq || !slotHash(s).equals(h)) {
            continue;
          }
          try {
            RecordCodec.Record rec = checkRecord(s, id, seq);
            region.setLong(so + CxlLayout.SLOT_STAMP, System.currentTimeMillis());
            long payloadAt = rec.payload().address() - region.address();
            Lease lease = new CxlLease(this, id, rec.header().meta(), s, payloadAt, rec.payload().byteSize());
            leased = true;
            hits.increment();
            touch(id, h);
            return lease;
          } catch (CodecException e) {
            corruptReason = e.getMessage();
          }
        } finally {
          if (!leased) {
            unhold(s);
          }
        }
        dropCorrupt(s, seq, h, corruptReason);
        misses.increment();
        return null;
      }
    } finally {
      exit();
    }
  }

  /** Decodes and checks slot {@code s}'s record against the slot and {@code id}. */
  private RecordCodec.Record checkRecord(int s, ArtifactId id) {
    return checkRecord(s, id, -1);
  }

  /**
   * As {@link #checkRecord(int, ArtifactId)}; with {@code verify: once} the payload checksum is
   * skipped if this process already checked the slot at commit {@code seq}.
   */
  private RecordCodec.Record checkRecord(int s, ArtifactId id, long seq) {
    long so = g.slot(s);
    long off = region.getLong(so + CxlLayout.SLOT_RECORD_OFFSET);
    long len = region.getLong(so + CxlLayout.SLOT_RECORD_LENGTH);
    if (off < 0 || len < 0 || off + len > g.dataBytes() || off + len < off) {
      throw new CodecException("slot " + s + ": record at " + off + " of " + len + " bytes (expected: inside the data area of "
          + g.dataBytes() + " bytes)");
    }
    MemorySegment record = region.segment().asSlice(g.dataOffset() + off, len);
    RecordCodec.Record rec;
    if (!config.verifyEveryLoad() && seq > 0 && verifiedSeq[s] == seq) {
      RecordCodec.Header h = RecordCodec.readHeader(record);
      long payloadAt = h.payloadOffset(alignment);
      if (payloadAt + h.payloadLength() != len) {
        throw new CodecException("slot " + s + ": record of " + len + " bytes (expected: " + (payloadAt + h.payloadLength()) + ")");
      }
      rec = new RecordCodec.Record(h, record.asSlice(payloadAt, h.payloadLength()));
    } else {
      rec = RecordCodec.decode(record, alignment);
      if (seq > 0) {
        verifiedSeq[s] = seq;
      }
    }
    if (id != null && !rec.header().id().equals(id)) {
      throw new CodecException("slot " + s + ": record holds " + rec.header().id() + " (expected: " + id + ")");
    }
    if (rec.header().payloadCrc() != region.getInt(so + CxlLayout.SLOT_CRC)
        || rec.header().payloadLength() != region.getLong(so + CxlLayout.SLOT_PAYLOAD_LENGTH)) {
      throw new CodecException("slot " + s + ": record checksum or length disagrees with the slot");
    }
    return rec;
  }

  private void dropCorrupt(int s, long seq, Hash h, String reason) {
    corrupt.increment();
    LOG.log(System.Logger.Level.WARNING, where() + ": dropped a corrupt record in slot " + s + ": " + reason);
    locked(() -> {
      if (CxlLayout.isVisible(state(s)) && seq(s) == seq) {
        removeIndexLocked(h, s);
        region.setVolatile(CxlLayout.ARTIFACTS_OFFSET, region.getVolatile(CxlLayout.ARTIFACTS_OFFSET) - 1);
        retireLocked(s);
      }
      return null;
    });
  }

  private void touch(ArtifactId id, Hash h) {
    policyLock.lock();
    try {
      if (known.putIfAbsent(id, h) == null) {
        policy.onInsert(id, 0);
      } else {
        policy.onAccess(id);
      }
    } finally {
      policyLock.unlock();
    }
  }

  /** A lease on slot {@code s} was closed. */
  void release(int s) {
    try {
      unhold(s);
      openLeases.decrementAndGet();
      if (state(s) == RETIRED) {
        freeIfUnheld(s);
      }
    } finally {
      exit();
    }
  }

  /** Counts a lease as a user of the layer; called while the get that makes it is in progress. */
  void leaseOpened() {
    users.incrementAndGet();
    openLeases.incrementAndGet();
  }

  private void freeIfUnheld(int s) {
    locked(() -> {
      if (state(s) == RETIRED && !heldAnywhere(s)) {
        freeLocked(s);
      }
      return null;
    });
  }

  @Override
  public boolean contains(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    enter();
    try {
      return lookup(Hash.of(id)) >= 0;
    } finally {
      exit();
    }
  }

  @Override
  public boolean delete(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    enter();
    try {
      Hash h = Hash.of(id);
      boolean removed = locked(() -> {
        int s = lookupLocked(h);
        if (s < 0) {
          return false;
        }
        Pin pin = pins.remove(id);
        if (pin != null) {
          unhold(pin.slot);
        }
        removeIndexLocked(h, s);
        region.setVolatile(CxlLayout.ARTIFACTS_OFFSET, region.getVolatile(CxlLayout.ARTIFACTS_OFFSET) - 1);
        retireLocked(s);
        if (pin != null && pin.slot != s && state(pin.slot) == RETIRED && !heldAnywhere(pin.slot)) {
          freeLocked(pin.slot);
        }
        return true;
      });
      if (removed) {
        forget(id);
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
    mutex.lock();
    try {
      Pin pin = pins.get(id);
      if (pin != null) {
        pin.count++;
        return true;
      }
      Hash h = Hash.of(id);
      while (true) {
        int s = lookup(h);
        if (s < 0) {
          return false;
        }
        long seq = seq(s);
        hold(s);
        if (CxlLayout.isVisible(state(s)) && seq(s) == seq && slotHash(s).equals(h)) {
          pins.put(id, new Pin(s));
          return true;
        }
        unhold(s);
      }
    } finally {
      mutex.unlock();
      exit();
    }
  }

  @Override
  public boolean unpin(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    enter();
    try {
      int released;
      mutex.lock();
      try {
        Pin pin = pins.get(id);
        if (pin == null) {
          return false;
        }
        if (--pin.count > 0) {
          return true;
        }
        pins.remove(id);
        unhold(pin.slot);
        released = pin.slot;
      } finally {
        mutex.unlock();
      }
      if (state(released) == RETIRED) {
        freeIfUnheld(released);
      }
      return true;
    } finally {
      exit();
    }
  }

  @Override
  public List<ArtifactId> ids() {
    enter();
    try {
      List<ArtifactId> out = new ArrayList<>();
      for (int s = 0; s < g.slotCount(); s++) {
        if (CxlLayout.isVisible(state(s))) {
          ArtifactId id = idOf(s);
          if (id != null && CxlLayout.isVisible(state(s))) {
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
      int pinned;
      mutex.lock();
      try {
        pinned = pins.size();
      } finally {
        mutex.unlock();
      }
      return new LayerStats(tier, g.dataBytes(), region.getVolatile(CxlLayout.USED_BLOCKS_OFFSET) * g.blockBytes(),
          region.getVolatile(CxlLayout.ARTIFACTS_OFFSET), openLeases.get(), pinned, hits.sum(), misses.sum(), puts.sum(),
          evictions.sum(), rejected.sum(), corrupt.sum());
    } finally {
      exit();
    }
  }

  @Override
  public void setEvictionListener(EvictionListener listener) {
    Objects.requireNonNull(listener, "listener");
    enter();
    try {
      this.listener = listener;
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
    List<Integer> unpinned = new ArrayList<>();
    mutex.lock();
    try {
      for (Pin pin : pins.values()) {
        unhold(pin.slot);
        unpinned.add(pin.slot);
      }
      pins.clear();
    } finally {
      mutex.unlock();
    }
    for (int s : unpinned) {
      if (state(s) == RETIRED) {
        freeIfUnheld(s);
      }
    }
    exit();
  }

  // ------------------------------------------------------------------------------------------
  // Eviction

  private Victim pickVictimLocked(Hash exclude, Set<Integer> passedOver) {
    List<ArtifactId> stale = new ArrayList<>();
    Victim found = null;
    policyLock.lock();
    try {
      for (Iterator<ArtifactId> it = policy.victims(); it.hasNext() && found == null; ) {
        ArtifactId id = it.next();
        Hash h = known.get(id);
        int s = h == null ? -1 : lookupLocked(h);
        if (s < 0) {
          stale.add(id);
        } else if (!h.equals(exclude) && !pins.containsKey(id) && isEvictable(s, passedOver)) {
          found = new Victim(s, seq(s), id, h);
        }
      }
      for (ArtifactId id : stale) {
        policy.onRemove(id);
        known.remove(id);
      }
    } finally {
      policyLock.unlock();
    }
    if (found == null) {
      found = oldestUnknownLocked(exclude, passedOver);
    }
    if (found != null) {
      long so = g.slot(found.slot);
      region.setLong(so + CxlLayout.SLOT_OWNER, me);
      region.setVolatile(so + CxlLayout.SLOT_STATE, EVICTING);
      hold(found.slot);
    }
    return found;
  }

  private boolean isEvictable(int s, Set<Integer> passedOver) {
    return state(s) == COMMITTED && !passedOver.contains(s) && !heldAnywhere(s);
  }

  /** The committed slot with the oldest stamp that the policy does not know (stored elsewhere). */
  private Victim oldestUnknownLocked(Hash exclude, Set<Integer> passedOver) {
    int best = -1;
    long bestStamp = Long.MAX_VALUE;
    for (int s = 0; s < g.slotCount(); s++) {
      if (isEvictable(s, passedOver) && !slotHash(s).equals(exclude)) {
        long stamp = region.getLong(g.slot(s) + CxlLayout.SLOT_STAMP);
        if (stamp < bestStamp) {
          best = s;
          bestStamp = stamp;
        }
      }
    }
    if (best < 0) {
      return null;
    }
    ArtifactId id = idOf(best);
    if (id == null) {
      corrupt.increment();
      Hash h = slotHash(best);
      removeIndexLocked(h, best);
      region.setVolatile(CxlLayout.ARTIFACTS_OFFSET, region.getVolatile(CxlLayout.ARTIFACTS_OFFSET) - 1);
      retireLocked(best);
      return oldestUnknownLocked(exclude, passedOver);
    }
    return new Victim(best, seq(best), id, slotHash(best));
  }

  /**
   * Offers the marked, held victim to the listener; returns whether its slot was freed. A listener
   * that throws keeps the victim, and its exception propagates.
   */
  private boolean evict(Victim v) {
    RecordCodec.Record rec;
    try {
      rec = checkRecord(v.slot, v.id);
    } catch (CodecException e) {
      corrupt.increment();
      LOG.log(System.Logger.Level.WARNING, where() + ": dropped corrupt eviction victim " + v.id + ": " + e.getMessage());
      return finishEviction(v, true);
    }
    boolean agreed;
    try {
      agreed = listener.beforeEvict(tier, v.id, rec.header().meta(), rec.payload().asReadOnly());
    } catch (RuntimeException | Error e) {
      finishEviction(v, false);
      throw e;
    }
    boolean freed = finishEviction(v, agreed);
    if (freed && agreed) {
      evictions.increment();
      forget(v.id);
    }
    return freed;
  }

  private boolean finishEviction(Victim v, boolean go) {
    return locked(() -> {
      unhold(v.slot);
      long so = g.slot(v.slot);
      if (state(v.slot) != EVICTING || seq(v.slot) != v.seq || region.getLong(so + CxlLayout.SLOT_OWNER) != me) {
        return true;
      }
      if (!go || heldAnywhere(v.slot)) {
        region.setRelease(so + CxlLayout.SLOT_STATE, COMMITTED);
        return false;
      }
      removeIndexLocked(v.hash, v.slot);
      region.setVolatile(CxlLayout.ARTIFACTS_OFFSET, region.getVolatile(CxlLayout.ARTIFACTS_OFFSET) - 1);
      retireLocked(v.slot);
      return true;
    });
  }

  private void forget(ArtifactId id) {
    policyLock.lock();
    try {
      if (known.remove(id) != null) {
        policy.onRemove(id);
      }
    } finally {
      policyLock.unlock();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Slots, holds, retire and free

  private long state(int s) {
    return region.getVolatile(g.slot(s) + CxlLayout.SLOT_STATE);
  }

  private long seq(int s) {
    return region.getVolatile(g.slot(s) + CxlLayout.SLOT_SEQ);
  }

  private long setState(int s, long state) {
    region.setVolatile(g.slot(s) + CxlLayout.SLOT_STATE, state);
    return state;
  }

  private Hash slotHash(int s) {
    long so = g.slot(s);
    return new Hash(region.getVolatile(so + CxlLayout.SLOT_HASH_HI), region.getVolatile(so + CxlLayout.SLOT_HASH_LO));
  }

  /** The id in slot {@code s}'s record header, or null if the header does not decode. */
  private ArtifactId idOf(int s) {
    long so = g.slot(s);
    long off = region.getLong(so + CxlLayout.SLOT_RECORD_OFFSET);
    long len = region.getLong(so + CxlLayout.SLOT_RECORD_LENGTH);
    if (off < 0 || len < RecordLayout.PREFIX_BYTES || off + len > g.dataBytes()) {
      return null;
    }
    try {
      return RecordCodec.readHeader(region.segment().asSlice(g.dataOffset() + off, len)).id();
    } catch (CodecException e) {
      return null;
    }
  }

  private Object holdStripe(int s) {
    return holdStripes[s & (HOLD_STRIPES - 1)];
  }

  private void hold(int s) {
    synchronized (holdStripe(s)) {
      if (holds[s]++ == 0) {
        region.getAndOr(g.holdWord(myProcess, s), 1L << (s & 63));
      }
    }
  }

  private void unhold(int s) {
    synchronized (holdStripe(s)) {
      if (--holds[s] == 0) {
        region.getAndAnd(g.holdWord(myProcess, s), ~(1L << (s & 63)));
      }
    }
  }

  /** Whether any live process (this one included) leases or pins slot {@code s}. */
  private boolean heldAnywhere(int s) {
    long bit = 1L << (s & 63);
    for (int p = 0; p < g.maxProcesses(); p++) {
      if ((region.getVolatile(g.holdWord(p, s)) & bit) == 0) {
        continue;
      }
      long w = region.getVolatile(g.process(p) + CxlLayout.PROCESS_WORD);
      if (p == myProcess || (w != 0 && CxlRegionLock.isAlive(CxlRegionLock.ownerPid(w)))) {
        return true;
      }
    }
    return false;
  }

  /** Makes slot {@code s} invisible, freeing it now if nobody holds it. */
  private void retireLocked(int s) {
    setState(s, RETIRED);
    region.setVolatile(CxlLayout.RETIRED_SLOTS_OFFSET, region.getVolatile(CxlLayout.RETIRED_SLOTS_OFFSET) + 1);
    if (!heldAnywhere(s)) {
      freeLocked(s);
    }
  }

  private void freeLocked(int s) {
    if (state(s) == RETIRED) {
      region.setVolatile(CxlLayout.RETIRED_SLOTS_OFFSET, region.getVolatile(CxlLayout.RETIRED_SLOTS_OFFSET) - 1);
    }
    long blocks = blocksOf(region.getLong(g.slot(s) + CxlLayout.SLOT_RECORD_LENGTH));
    clearBlocks(s);
    region.setVolatile(CxlLayout.USED_BLOCKS_OFFSET, region.getVolatile(CxlLayout.USED_BLOCKS_OFFSET) - blocks);
    region.setLong(g.slot(s) + CxlLayout.SLOT_OWNER, 0);
    setState(s, FREE);
    region.setVolatile(CxlLayout.FREE_SLOTS_OFFSET, region.getVolatile(CxlLayout.FREE_SLOTS_OFFSET) + 1);
  }

  /** Frees retired slots that nobody holds; returns how many. */
  private int reclaimRetiredLocked() {
    int n = 0;
    for (int s = 0; s < g.slotCount(); s++) {
      if (state(s) == RETIRED && !heldAnywhere(s)) {
        freeLocked(s);
        n++;
      }
    }
    return n;
  }

  private int findFreeSlot() {
    if (region.getVolatile(CxlLayout.FREE_SLOTS_OFFSET) <= 0) {
      return -1;
    }
    int n = g.slotCount();
    int start = (int) Math.floorMod(region.getLong(CxlLayout.SLOT_ROVER_OFFSET), (long) n);
    for (int i = 0; i < n; i++) {
      int s = start + i < n ? start + i : start + i - n;
      if (state(s) == FREE) {
        return s;
      }
    }
    return -1;
  }

  // ------------------------------------------------------------------------------------------
  // Block bitmap

  private long blocksOf(long bytes) {
    return (bytes + g.blockBytes() - 1) / g.blockBytes();
  }

  private boolean bit(long b) {
    return (region.getLong(g.bitmapWord(b)) & (1L << (b & 63))) != 0;
  }

  private void clearBlocks(int s) {
    long so = g.slot(s);
    setBlocks(region.getLong(so + CxlLayout.SLOT_RECORD_OFFSET) / g.blockBytes(),
        blocksOf(region.getLong(so + CxlLayout.SLOT_RECORD_LENGTH)), false);
  }

  private void setBlocks(long first, long n, boolean used) {
    long b = first;
    long end = first + n;
    while (b < end) {
      int from = (int) (b & 63);
      int count = (int) Math.min(64 - from, end - b);
      long mask = (count == 64 ? -1L : ((1L << count) - 1)) << from;
      long word = g.bitmapWord(b);
      long v = region.getLong(word);
      region.setLong(word, used ? v | mask : v & ~mask);
      b += count;
    }
  }

  /** First-fit from the rover (wrapping once) for {@code n} consecutive free blocks; or -1. */
  private long findRun(long n) {
    long total = g.dataBlocks();
    long rover = Math.floorMod(region.getLong(CxlLayout.BLOCK_ROVER_OFFSET), Math.max(total, 1));
    long found = findRun(n, rover, total);
    return found >= 0 ? found : findRun(n, 0, Math.min(total, rover + n - 1));
  }

  private long findRun(long n, long from, long to) {
    long run = 0;
    long start = from;
    long b = from;
    while (b < to) {
      long word = region.getLong(g.bitmapWord(b));
      if ((b & 63) == 0 && word == -1L) {
        run = 0;
        b += 64;
        continue;
      }
      if ((b & 63) == 0 && word == 0 && b + 64 <= to) {
        if (run == 0) {
          start = b;
        }
        run += 64;
        b += 64;
      } else {
        if ((word & (1L << (b & 63))) == 0) {
          if (run == 0) {
            start = b;
          }
          run++;
        } else {
          run = 0;
        }
        b++;
      }
      if (run >= n) {
        return start;
      }
    }
    return -1;
  }

  // ------------------------------------------------------------------------------------------
  // Index: open addressing, linear probing, backward-shift deletion

  private long home(int fragment) {
    return (fragment & 0xFFFF_FFFFL) & (g.buckets() - 1);
  }

  /** The visible slot holding {@code h}, or -1; lock-free, consistent with concurrent writers. */
  private int lookup(Hash h) {
    for (int spins = 0; ; spins++) {
      long before = region.getVolatile(CxlLayout.INDEX_SEQ_OFFSET);
      if ((before & 1) != 0) {
        if (spins > 10_000) {
          locked(() -> null);
          spins = 0;
        }
        Thread.onSpinWait();
        continue;
      }
      int s = probe(h);
      if (s >= 0 || region.getVolatile(CxlLayout.INDEX_SEQ_OFFSET) == before) {
        return s;
      }
    }
  }

  private int lookupLocked(Hash h) {
    return probe(h);
  }

  private int probe(Hash h) {
    long mask = g.buckets() - 1;
    long b = home(h.fragment());
    for (long i = 0; i <= mask; i++) {
      long v = region.getVolatile(g.bucket(b));
      if (v == 0) {
        return -1;
      }
      if ((int) (v >>> 32) == h.fragment()) {
        int s = (int) v - 1;
        if (s >= 0 && s < g.slotCount() && CxlLayout.isVisible(state(s)) && slotHash(s).equals(h)) {
          return s;
        }
      }
      b = (b + 1) & mask;
    }
    return -1;
  }

  private static long bucketValue(Hash h, int s) {
    return (long) h.fragment() << 32 | ((s + 1) & 0xFFFF_FFFFL);
  }

  private void insertIndex(Hash h, int s) {
    long mask = g.buckets() - 1;
    long b = home(h.fragment());
    while (region.getVolatile(g.bucket(b)) != 0) {
      b = (b + 1) & mask;
    }
    region.setVolatile(g.bucket(b), bucketValue(h, s));
  }

  private long findBucket(Hash h, int s) {
    long mask = g.buckets() - 1;
    long b = home(h.fragment());
    long want = bucketValue(h, s);
    for (long i = 0; i <= mask; i++) {
      long v = region.getVolatile(g.bucket(b));
      if (v == want) {
        return b;
      }
      if (v == 0) {
        break;
      }
      b = (b + 1) & mask;
    }
    throw new IllegalStateException(where() + ": slot " + s + " is visible but not in the index");
  }

  private void replaceIndexLocked(Hash h, int old, int s) {
    region.setVolatile(g.bucket(findBucket(h, old)), bucketValue(h, s));
  }

  private void removeIndexLocked(Hash h, int s) {
    long mask = g.buckets() - 1;
    long i = findBucket(h, s);
    long seq = region.getVolatile(CxlLayout.INDEX_SEQ_OFFSET);
    region.setVolatile(CxlLayout.INDEX_SEQ_OFFSET, seq + 1);
    long j = i;
    while (true) {
      j = (j + 1) & mask;
      long v = region.getVolatile(g.bucket(j));
      if (v == 0) {
        break;
      }
      long k = home((int) (v >>> 32));
      boolean inPlace = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (!inPlace) {
        region.setVolatile(g.bucket(i), v);
        i = j;
      }
    }
    region.setVolatile(g.bucket(i), 0);
    region.setVolatile(CxlLayout.INDEX_SEQ_OFFSET, seq + 2);
  }

  // ------------------------------------------------------------------------------------------
  // Locking and life cycle

  /** Runs {@code body} holding the in-process mutex and the region lock. */
  private <T> T locked(Supplier<T> body) {
    mutex.lock();
    try {
      if (regionLock.acquire()) {
        LOG.log(System.Logger.Level.WARNING, where() + ": broke the region lock of a dead or stalled process; repairing");
        repair();
      }
      try {
        return body.get();
      } finally {
        releaseRegionLock();
      }
    } finally {
      mutex.unlock();
    }
  }

  private void releaseRegionLock() {
    if (!regionLock.release()) {
      LOG.log(System.Logger.Level.ERROR, where() + ": the region lock was broken while held (a critical section outlasted"
          + " lock_lease_ms = " + config.lockLease().toMillis() + "); raise lock_lease_ms");
    }
  }

  private void enter() {
    while (true) {
      long u = users.get();
      if (u == 0 || closed) {
        throw new LayerUnavailableException(where() + " is closed");
      }
      if (users.compareAndSet(u, u + 1)) {
        if (closed) {
          exit();
          throw new LayerUnavailableException(where() + " is closed");
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
      mutex.lock();
      try {
        regionLock.acquire();
        try {
          clearHolds(myProcess);
          region.setVolatile(g.process(myProcess) + CxlLayout.PROCESS_WORD, 0);
          reclaimRetiredLocked();
        } finally {
          releaseRegionLock();
        }
      } finally {
        mutex.unlock();
      }
    } finally {
      region.close();
    }
  }

  private String where() {
    return "cxl tier '" + tier + "'";
  }
}
