package io.stratacache.tiering;

import io.stratacache.config.ChainConfig;
import io.stratacache.config.LinkMode;
import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.EvictionObserver;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.StrataCacheException;
import io.stratacache.spi.Capability;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import io.stratacache.config.Watermarks;
import io.stratacache.writeback.AgentRunner;
import io.stratacache.writeback.DirtySet;
import io.stratacache.writeback.WritebackReport;
import io.stratacache.writeback.WritebackWorker;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * An ordered chain of memory layers, head first, with a link between each adjacent pair.
 * Internal to the engine: {@link io.stratacache.engine.StorageEngine} is its only user and never
 * hands it out (callers reach one tier through {@code engine.tier(name)}).
 *
 * <p>Design note. Every mutation of an artifact (store, delete, flush, demotion, promotion) holds
 * that artifact's own lock ({@link KeyLocks}); nothing holds a lock across artifacts, so I/O on
 * one artifact never blocks another. Loads that hit the head take no lock at all.
 *
 * <ul>
 *   <li><b>Store.</b> A chain store at tier <i>i</i> puts into <i>i</i>, removes the now stale
 *       copies above <i>i</i>, then follows the links down: through a write-through link the next
 *       tier is written before the call returns; at a write-back link the artifact is marked in
 *       that link's {@link DirtySet} and the background {@link WritebackWorker} carries it on
 *       (applying the links below it the same way). An exact store puts into one tier and
 *       removes every other copy, so no stale copy can surface later.
 *   <li><b>Load.</b> Top-down; a hit below the head is copied into the tiers above it (promotion,
 *       configurable, skipped for metas with {@code promote=false}).
 *   <li><b>Eviction.</b> Each layer's {@link io.stratacache.spi.EvictionListener} is wired here.
 *       Before a layer reuses an artifact's space, the chain writes the artifact into the next
 *       tier if it is dirty, or if no lower tier holds it (demotion; configurable). If that write
 *       fails the eviction is refused and the layer picks another victim: a dirty artifact is
 *       thus pinned until its bytes are safe below. The listener never waits for an artifact's
 *       lock (it refuses the eviction instead), so evictions cannot deadlock with stores.
 *   <li><b>Unavailable tiers.</b> A {@link Capability#SELF_EVICTING} tier (a remote cache, which
 *       may drop any artifact at any moment anyway) that throws {@link LayerUnavailableException}
 *       because its server is down is passed over and counted: a load falls through to the next
 *       tier or a miss, a store is kept by the tiers that took it, a clean artifact may be
 *       evicted without its demotion; a write-back link keeps the artifact dirty and retries.
 *       Any other tier that fails, unavailable or not, fails the operation as below.
 *   <li><b>Back-pressure.</b> A store that would take a write-back link's dirty bytes over {@code
 *       max_dirty_bytes} waits under {@code block} for the worker to make room <i>before</i> it
 *       takes the artifact's lock, so the worker can always flush; the room is then taken
 *       atomically under the lock ({@link DirtySet#markIfRoom}; see {@link Backpressure}). If
 *       another store took the room first the store waits again; at the close time-out, or under {@code write_through}, it
 *       writes through instead. Flushes and evictions never wait: past the limit they write
 *       through.
 *   <li><b>Failures below.</b> A failed promotion is counted and the load returns the lower
 *       tier's bytes. A failed write-through keeps the new version dirty on that link (every link
 *       has a {@link DirtySet}; a write-through link's holds only such versions), so eviction
 *       writes it down or is refused and the worker retries it: a version once served is never
 *       silently replaced by an older one. The store still throws, saying so.
 *   <li><b>Maintenance.</b> The write-back worker and the {@link TierMaintenance} agent share one
 *       background thread ({@link AgentRunner}). Maintenance evicts ahead of demand from a tier
 *       over its high watermark down to its low one, through the same eviction listener, so a
 *       store under steady pressure finds room without waiting for a lower tier's write; a store
 *       that finds its tier full still makes room itself.
 *   <li><b>Admission.</b> A link with {@code admit_after: n} above 1 writes an artifact down only
 *       from its n-th use (stores and load hits, counted approximately by {@link AdmissionGate});
 *       before that the artifact lives in the tiers above only, is never marked dirty, and is
 *       dropped rather than demoted when evicted. A tier below that already holds a version of the
 *       artifact always gets the new one.
 *   <li><b>Close.</b> Drains the write-back links (bounded), stops the background thread, then
 *       closes the layers.
 * </ul>
 *
 * <p>Size: over 600 lines because every path here (store, load and promotion, the eviction
 * listener's demotion, flush) takes the same per-artifact lock and works on the same dirty sets
 * and counters, and the rules above are kept by their interplay; back-pressure already lives in
 * {@link Backpressure}. The eviction listener with demotion is the next part to move out if the
 * class grows.
 */
public final class TierChain implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(TierChain.class.getName());

  /** A tier: its name, the provider that opened it, the layer and its watermarks. */
  public record Tier(String name, String provider, MemoryLayer layer, Watermarks watermarks) {
    public Tier {
      java.util.Objects.requireNonNull(watermarks, "watermarks");
    }

    /** A tier with the default watermarks. */
    public Tier(String name, String provider, MemoryLayer layer) {
      this(name, provider, layer, Watermarks.DEFAULTS);
    }
  }

  private final Tier[] tiers;
  private final LinkMode[] links;
  private final DirtySet[] dirty;
  private final ChainConfig chainConfig;
  private final WritebackConfig writebackConfig;
  private final AgentRunner runner;
  private final WritebackWorker worker;
  private final TierMaintenance maintenance;
  private final AdmissionGate gate;
  private final KeyLocks locks = new KeyLocks();
  private final Backpressure backpressure;
  private final AtomicLongArray hits;
  private final AtomicLong misses = new AtomicLong();
  private final AtomicLong promotions = new AtomicLong();
  private final AtomicLong failedPromotions = new AtomicLong();
  private final AtomicLong demotions = new AtomicLong();
  private final AtomicLong evictionWrites = new AtomicLong();
  private final AtomicLong refusedEvictions = new AtomicLong();
  private final AtomicLong skippedUnavailable = new AtomicLong();
  private final List<EvictionObserver> observers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean closed;

  /**
   * A chain over {@code tiers} (head first) with {@code links.get(i)} between tier i and i+1. The
   * chain owns the layers and closes them.
   */
  public TierChain(List<Tier> tiers, List<LinkMode> links, ChainConfig chainConfig, WritebackConfig writebackConfig) {
    this(tiers, links, java.util.Collections.nCopies(links.size(), 1), chainConfig, writebackConfig);
  }

  /**
   * As {@link #TierChain(List, List, ChainConfig, WritebackConfig)}, with {@code admitAfter.get(i)}
   * the admission threshold of link i ({@link io.stratacache.config.LinkConfig#admitAfter()}).
   */
  public TierChain(List<Tier> tiers, List<LinkMode> links, List<Integer> admitAfter, ChainConfig chainConfig,
      WritebackConfig writebackConfig) {
    if (tiers.isEmpty()) {
      throw new IllegalArgumentException("tiers: [] (expected: at least one tier)");
    }
    if (links.size() != tiers.size() - 1) {
      throw new IllegalArgumentException(
          "links: " + links.size() + " (expected: " + (tiers.size() - 1) + ", one per adjacent pair of tiers)");
    }
    if (admitAfter.size() != links.size()) {
      throw new IllegalArgumentException("admitAfter: " + admitAfter.size() + " values (expected: " + links.size() + ", one per link)");
    }
    this.gate = new AdmissionGate(admitAfter);
    this.tiers = tiers.toArray(Tier[]::new);
    this.links = links.toArray(LinkMode[]::new);
    this.chainConfig = chainConfig;
    this.writebackConfig = writebackConfig;
    this.hits = new AtomicLongArray(this.tiers.length);
    this.dirty = new DirtySet[this.tiers.length];
    long idle = WritebackWorker.idleNanos(writebackConfig);
    this.runner = new AgentRunner("stratacache-maintenance-" + this.tiers[0].name(), idle);
    this.worker = new WritebackWorker(this.tiers[0].name(), writebackConfig, this::onFlushError, runner);
    for (int i = 0; i < this.tiers.length; i++) {
      final int index = i;
      this.tiers[i].layer().setEvictionListener((tier, id, meta, payload) -> {
        boolean evict = beforeEvict(index, id);
        if (evict) {
          notifyEvicted(tier, id, meta);
        }
        return evict;
      });
      if (i < this.links.length) {
        dirty[i] = new DirtySet(this.tiers[i].name() + "->" + this.tiers[i + 1].name());
        worker.register(dirty[i], id -> flushLink(index, id));
      }
    }
    this.backpressure = new Backpressure(this.links, dirty, writebackConfig, worker, locks);
    this.maintenance = new TierMaintenance(this.tiers[0].name(), this.tiers,
        java.util.Arrays.stream(this.tiers).map(Tier::watermarks).toArray(Watermarks[]::new), runner, idle);
    runner.start();
  }

  /** Number of tiers. */
  public int size() {
    return tiers.length;
  }

  /** The tier at {@code index} (0 = head). */
  public Tier tier(int index) {
    return tiers[index];
  }

  /** Index of the tier called {@code name}, or -1. */
  public int indexOf(String name) {
    for (int i = 0; i < tiers.length; i++) {
      if (tiers[i].name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** The link below tier {@code index}, or {@code null} for the last tier. */
  public LinkMode linkBelow(int index) {
    return index < links.length ? links[index] : null;
  }

  // ---------------------------------------------------------------- store

  /**
   * Stores at tier {@code index}, invalidates the copies above it and follows the links down.
   *
   * @throws StrataCacheException if a write-through below failed; the new version is then kept
   *     dirty on that link and retried in the background
   */
  public void storeChain(int index, ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    ensureOpen();
    ChainEvents.Store event = new ChainEvents.Store();
    event.begin();
    gate.use(id);
    backpressure.withRoom(index, id, payload.byteSize(), () -> {
      long stamp = DirtySet.nextStamp(); // under the lock: a flush called before this put does not wait for it
      replacing(index, id, () -> {
        tiers[index].layer().put(id, meta, payload);
        return null;
      });
      invalidate(id, 0, index);
      throwIfFailed(index, id, propagate(index, id, meta, payload, stamp));
    });
    if (event.shouldCommit()) {
      event.tier = tiers[index].name();
      event.id = id.value();
      event.bytes = payload.byteSize();
      event.commit();
    }
    maintenance.afterStore(index);
  }

  /**
   * Runs {@code action}, a put or reserve into tier {@code index} that replaces {@code id}, without
   * risking a version there that must be written down before it goes (dirty, or held by no lower
   * tier while eviction demotes). A layer may drop the version being replaced to make room for its
   * replacement, without asking the listener; a store refused after that would lose it. So such a
   * version is leased (a leased version is never dropped so) while {@code action} runs; if the
   * layer is full, it is written down first and {@code action} runs again without the lease.
   * Caller holds the artifact's lock.
   */
  private <T> T replacing(int index, ArtifactId id, java.util.function.Supplier<T> action) {
    boolean isDirty = dirty[index] != null && dirty[index].contains(id);
    boolean onlyCopy = !isDirty && index < tiers.length - 1 && chainConfig.demoteOnEvict()
        && tiers[index].layer().contains(id) && !heldBelow(index, id) && gate.admits(index, id);
    Lease guard = isDirty || onlyCopy ? tiers[index].layer().get(id) : null;
    if (guard == null) {
      return action.get();
    }
    try {
      return action.get();
    } catch (CapacityException full) {
      try {
        writeBelow(index, id, guard, isDirty ? dirty[index].stampOf(id) : DirtySet.nextStamp());
      } catch (RuntimeException e) {
        full.addSuppressed(e);
        throw full;
      }
      if (isDirty) {
        dirty[index].clear(id);
      }
    } finally {
      guard.close();
    }
    return action.get();
  }

  private void throwIfFailed(int index, ArtifactId id, RuntimeException failure) {
    if (failure != null) {
      throw new StrataCacheException("store of " + id + ": stored in tier '" + tiers[index].name()
          + "', but writing it through below failed; the new version is kept dirty and retried: " + failure.getMessage(), failure);
    }
  }

  /** Stores at tier {@code index} only; every other tier's copy (and dirty mark) is removed. */
  public void storeExact(int index, ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    ensureOpen();
    try (KeyLocks.Held _ = locks.lock(id)) {
      replacing(index, id, () -> {
        tiers[index].layer().put(id, meta, payload);
        return null;
      });
      invalidate(id, 0, index);
      invalidate(id, index + 1, tiers.length);
      clearDirty(index, id);
    }
    maintenance.afterStore(index);
  }

  /**
   * Space in tier {@code index} to fill in place; {@code commit()} publishes it as a chain store
   * at that tier.
   */
  public Reservation reserve(int index, ArtifactId id, ArtifactMeta meta, long size) {
    ensureOpen();
    Reservation r;
    try (KeyLocks.Held _ = locks.lock(id)) {
      r = replacing(index, id, () -> tiers[index].layer().reserve(id, meta, size));
    }
    return new ChainReservation(r, index, meta, size);
  }

  private final class ChainReservation implements Reservation {
    private final Reservation inner;
    private final int index;
    private final ArtifactMeta meta;
    private final long size;

    ChainReservation(Reservation inner, int index, ArtifactMeta meta, long size) {
      this.inner = inner;
      this.index = index;
      this.meta = meta;
      this.size = size;
    }

    @Override
    public ArtifactId id() {
      return inner.id();
    }

    @Override
    public MemorySegment segment() {
      return inner.segment();
    }

    @Override
    public void commit() {
      ensureOpen();
      ArtifactId id = inner.id();
      backpressure.withRoom(index, id, size, () -> {
        long stamp = DirtySet.nextStamp();
        inner.commit();
        invalidate(id, 0, index);
        if (index < links.length) {
          try (Lease written = tiers[index].layer().get(id)) {
            if (written != null) {
              throwIfFailed(index, id, propagate(index, id, meta, written.segment(), stamp));
            }
          }
        }
      });
      maintenance.afterStore(index);
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  /**
   * Writes below tier {@code index} as its links say, never waiting. Caller holds the artifact's
   * lock. A write-through that fails leaves the version dirty on that link (stamped {@code
   * stamp}) for the worker to retry, and is returned; otherwise returns {@code null}.
   */
  private RuntimeException propagate(int index, ArtifactId id, ArtifactMeta meta, MemorySegment payload, long stamp) {
    long size = payload.byteSize();
    for (int j = index; j < links.length; j++) {
      if (!admitted(j, id)) {
        gate.countDeferred(); // written down at its n-th use, or dropped when evicted before
        return null;
      }
      if (links[j] == LinkMode.WRITE_BACK) {
        long delay = writebackConfig.flushInterval().toNanos();
        if (dirty[j].markIfRoom(id, size, delay, stamp, writebackConfig.maxDirtyBytes())) {
          return null;
        }
        // back-pressure: over the limit with no room left to wait for, the store writes through
        try {
          tiers[j + 1].layer().put(id, meta, payload);
        } catch (RuntimeException e) {
          // keep the artifact dirty, so the worker retries it, rather than fail a store whose
          // bytes the upper tier already holds
          dirty[j].mark(id, size, 0, stamp);
          worker.wake();
          return null;
        }
        dirty[j].clear(id);
        continue;
      }
      try {
        tiers[j + 1].layer().put(id, meta, payload);
      } catch (RuntimeException e) {
        if (e instanceof LayerUnavailableException down && selfEvicting(j + 1)) {
          // a remote cache that is down does not fail a store the tiers above already hold
          skipUnavailable(j + 1, id, "store", down);
          continue;
        }
        dirty[j].mark(id, size, 0, stamp);
        worker.wake();
        return e;
      }
      dirty[j].clear(id);
    }
    return null;
  }

  /** Tier {@code index}'s lease on {@code id}; {@code null} if it has none or is unavailable. */
  private Lease getOrSkip(int index, ArtifactId id) {
    try {
      return tiers[index].layer().get(id);
    } catch (LayerUnavailableException e) {
      if (!selfEvicting(index)) {
        throw e;
      }
      skipUnavailable(index, id, "load", e);
      return null;
    }
  }

  /** Whether tier {@code index} may lose artifacts by itself, so that passing over it loses no promise. */
  private boolean selfEvicting(int index) {
    return tiers[index].layer().capabilities().contains(Capability.SELF_EVICTING);
  }

  private void skipUnavailable(int index, ArtifactId id, String what, LayerUnavailableException e) {
    skippedUnavailable.incrementAndGet();
    LOG.log(System.Logger.Level.DEBUG, () -> what + " of " + id + " skipped tier " + tiers[index].name() + ": " + e.getMessage());
  }

  /**
   * Writes the bytes of tier {@code index} into the tier below, then follows the links from there
   * (a failed write-through further down stays dirty there). Caller holds the artifact's lock.
   *
   * @throws RuntimeException if the tier below refused the bytes
   */
  private void writeBelow(int index, ArtifactId id, Lease current, long stamp) {
    tiers[index + 1].layer().put(id, current.meta(), current.segment());
    RuntimeException failed = propagate(index + 1, id, current.meta(), current.segment(), stamp);
    if (failed != null) {
      LOG.log(System.Logger.Level.DEBUG, () -> "write-through of " + id + " below " + tiers[index + 1].name()
          + " failed, kept dirty: " + failed);
    }
  }

  private void invalidate(ArtifactId id, int from, int to) {
    for (int i = from; i < to; i++) {
      tiers[i].layer().delete(id);
      clearDirty(i, id);
    }
  }

  private void clearDirty(int index, ArtifactId id) {
    if (dirty[index] != null) {
      dirty[index].clear(id);
    }
  }

  // ---------------------------------------------------------------- load

  /** Top-down read-through with promotion; {@code null} if no tier holds {@code id}. */
  public Lease loadChain(ArtifactId id) {
    ChainEvents.Load event = new ChainEvents.Load();
    event.begin();
    Lease lease = readThrough(id);
    if (event.shouldCommit()) {
      event.id = id.value();
      event.hit = lease != null;
      event.tier = lease == null ? "" : lease.tier();
      event.bytes = lease == null ? 0 : lease.size();
      event.commit();
    }
    return lease;
  }

  private Lease readThrough(ArtifactId id) {
    ensureOpen();
    Lease lease = getOrSkip(0, id);
    if (lease != null) {
      hits.incrementAndGet(0);
      used(0, id, lease);
      return lease;
    }
    if (tiers.length > 1) {
      int hitAt = -1;
      try (KeyLocks.Held _ = locks.lock(id)) {
        for (int i = 0; i < tiers.length; i++) {
          lease = getOrSkip(i, id);
          if (lease != null) {
            hits.incrementAndGet(i);
            hitAt = i;
            if (i > 0 && chainConfig.promoteOnHit() && lease.meta().promotable()) {
              boolean success = false;
              try {
                promote(i, id, lease);
                success = true;
              } finally {
                if (!success) {
                  lease.close();
                }
              }
            }
            break;
          }
        }
      }
      if (lease != null) {
        used(hitAt, id, lease);
        return lease;
      }
    }
    misses.incrementAndGet();
    return null;
  }

  /**
   * Counts a load hit of {@code id} at tier {@code hitAt} for admission; on the use that admits
   * it to a gated link whose upper tier holds it and whose lower tiers do not, marks it dirty
   * there for the worker to write down. Never waits for the artifact's lock (a store in progress
   * applies the gate itself).
   */
  private void used(int hitAt, ArtifactId id, Lease lease) {
    if (!gate.active()) {
      return;
    }
    int estimate = gate.use(id);
    for (int j = 0; j < links.length; j++) {
      if (!gate.admittedBy(j, estimate)) {
        continue;
      }
      KeyLocks.Held h = locks.tryLock(id);
      if (h == null) {
        return;
      }
      try (h) {
        if (!dirty[j].contains(id) && tiers[j].layer().contains(id) && !heldBelow(j, id)) {
          dirty[j].mark(id, lease.segment().byteSize(), 0, DirtySet.nextStamp());
          worker.wake();
        }
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, () -> "admission of " + id + " below " + tiers[hitAt].name() + " deferred: " + e);
      }
    }
  }

  /**
   * Whether link {@code link} writes {@code id} down now: its gate admits it, or a tier below
   * already holds a version of it (which must then be replaced, never left stale).
   */
  private boolean admitted(int link, ArtifactId id) {
    if (gate.admits(link, id)) {
      return true;
    }
    try {
      return heldBelow(link, id);
    } catch (LayerUnavailableException e) {
      return true; // cannot tell: write it down as an ungated link would
    }
  }

  private void promote(int from, ArtifactId id, Lease lease) {
    for (int j = from - 1; j >= 0; j--) {
      try {
        tiers[j].layer().put(id, lease.meta(), lease.segment());
        promotions.incrementAndGet();
        maintenance.afterStore(j);
      } catch (CapacityException e) {
        LOG.log(System.Logger.Level.DEBUG, () -> "promotion of " + id + " into " + tiers[0].name() + " skipped: " + e.getMessage());
        return;
      } catch (RuntimeException e) {
        // a promotion is an optimisation: the load still returns the lower tier's bytes
        failedPromotions.incrementAndGet();
        int into = j;
        LOG.log(System.Logger.Level.DEBUG, () -> "promotion of " + id + " into " + tiers[into].name() + " failed: " + e);
        return;
      }
    }
  }

  /** Tier {@code index} only; {@code null} if it does not hold {@code id}. */
  public Lease loadExact(int index, ArtifactId id) {
    ensureOpen();
    Lease lease = tiers[index].layer().get(id);
    if (lease != null) {
      hits.incrementAndGet(index);
    } else {
      misses.incrementAndGet();
    }
    return lease;
  }

  /** Index of the first tier holding {@code id}, or -1. */
  public int locate(ArtifactId id) {
    ensureOpen();
    for (int i = 0; i < tiers.length; i++) {
      try {
        if (tiers[i].layer().contains(id)) {
          return i;
        }
      } catch (LayerUnavailableException e) {
        if (!selfEvicting(i)) {
          throw e;
        }
        skipUnavailable(i, id, "lookup", e);
      }
    }
    return -1;
  }

  // ---------------------------------------------------------------- delete

  /** Removes {@code id} from every tier and every dirty set; returns whether any tier held it. */
  public boolean deleteAll(ArtifactId id) {
    ensureOpen();
    try (KeyLocks.Held _ = locks.lock(id)) {
      boolean any = false;
      for (int i = 0; i < tiers.length; i++) {
        any |= tiers[i].layer().delete(id);
        clearDirty(i, id);
      }
      return any;
    }
  }

  /** Removes {@code id} from tier {@code index} and its dirty mark there. */
  public boolean deleteExact(int index, ArtifactId id) {
    ensureOpen();
    try (KeyLocks.Held _ = locks.lock(id)) {
      clearDirty(index, id);
      return tiers[index].layer().delete(id);
    }
  }

  // ---------------------------------------------------------------- eviction and flush

  private boolean beforeEvict(int index, ArtifactId id) {
    ChainEvents.Evict event = new ChainEvents.Evict();
    event.begin();
    boolean evicted = writeDownBeforeEvict(index, id);
    if (evicted && event.shouldCommit()) {
      event.tier = tiers[index].name();
      event.id = id.value();
      event.commit();
    }
    return evicted;
  }

  private boolean writeDownBeforeEvict(int index, ArtifactId id) {
    KeyLocks.Held h = locks.tryLock(id);
    if (h == null) {
      refusedEvictions.incrementAndGet();
      return false; // a store, delete or flush of this artifact is under way: pick another victim
    }
    try (h) {
      boolean isDirty = dirty[index] != null && dirty[index].contains(id);
      boolean last = index == tiers.length - 1;
      try {
        if (!isDirty && (last || !chainConfig.demoteOnEvict() || heldBelow(index, id))) {
          return true;
        }
        if (!isDirty && !gate.admits(index, id)) {
          gate.countDropped(); // not yet admitted below: dropped, as the link's admit_after says
          return true;
        }
        ChainEvents.Demote demote = new ChainEvents.Demote();
        demote.begin();
        try (Lease current = tiers[index].layer().get(id)) {
          if (current == null) {
            return true;
          }
          // the current bytes, not the listener's argument: a replacement may have raced the eviction
          writeBelow(index, id, current, isDirty ? dirty[index].stampOf(id) : DirtySet.nextStamp());
          if (demote.shouldCommit()) {
            demote.from = tiers[index].name();
            demote.to = tiers[index + 1].name();
            demote.id = id.value();
            demote.dirty = isDirty;
            demote.bytes = current.size();
            demote.commit();
          }
        }
      } catch (LayerUnavailableException e) {
        if (isDirty || !selfEvicting(index + 1)) {
          throw e; // a dirty artifact's, or a durable tier's, only copy stays until it can be written down
        }
        skipUnavailable(index + 1, id, "demotion", e); // a clean copy may go: the tier below is down
        return true;
      }
      clearDirty(index, id);
      if (isDirty) {
        evictionWrites.incrementAndGet();
      } else {
        demotions.incrementAndGet();
      }
      return true;
    } catch (RuntimeException e) {
      refusedEvictions.incrementAndGet();
      LOG.log(System.Logger.Level.DEBUG, () -> "eviction of " + id + " from " + tiers[index].name()
          + " refused: writing it to " + tiers[index + 1].name() + " failed: " + e);
      return false;
    }
  }

  /** Adds {@code observer}; running the returned action removes it. */
  public Runnable addObserver(EvictionObserver observer) {
    observers.add(observer);
    return () -> observers.remove(observer);
  }

  private void notifyEvicted(String tier, ArtifactId id, ArtifactMeta meta) {
    for (EvictionObserver o : observers) {
      try {
        o.evicted(tier, id, meta);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, () -> "eviction observer failed on " + id + " from " + tier + ": " + e);
      }
    }
  }

  private boolean heldBelow(int index, ArtifactId id) {
    for (int i = index + 1; i < tiers.length; i++) {
      if (tiers[i].layer().contains(id)) {
        return true;
      }
    }
    return false;
  }

  /** Writes dirty {@code id} of link {@code index} into the tier below. Idempotent. */
  private void flushLink(int index, ArtifactId id) {
    try (KeyLocks.Held _ = locks.lock(id)) {
      if (!dirty[index].contains(id)) {
        return;
      }
      try (Lease current = tiers[index].layer().get(id)) {
        if (current != null) {
          writeBelow(index, id, current, dirty[index].stampOf(id));
        }
      }
      dirty[index].clear(id);
    }
  }

  private void onFlushError(String link, ArtifactId id, int failures, Throwable error) {
    System.Logger.Level level = failures == 1 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
    LOG.log(level, () -> "write-back " + link + ": flush of " + id + " failed (attempt " + failures + "), will retry: " + error);
  }

  /**
   * Writes down what is dirty when called (following it down every link), retrying failures
   * until the configured close time-out. Artifacts stored meanwhile are left to the worker.
   *
   * @throws StrataCacheException naming what of that could not be written before the deadline
   */
  public void flush() {
    ensureOpen();
    worker.flush();
  }

  /**
   * Dirty artifacts on the link below tier {@code index}: on a write-through link, versions whose
   * write-through failed and is being retried.
   */
  public int dirtyCount(int index) {
    return dirty[index] == null ? 0 : dirty[index].size();
  }

  /** Dirty bytes on the link below tier {@code index}. */
  public long dirtyBytes(int index) {
    return dirty[index] == null ? 0 : dirty[index].bytes();
  }

  /** Live per-artifact locks; 0 when the chain is idle. */
  public int heldLocks() {
    return locks.size();
  }

  // ---------------------------------------------------------------- stats and close

  /** Chain counters. */
  public record Counters(
      long[] hitsPerTier,
      long misses,
      long promotions,
      long failedPromotions,
      long demotions,
      long evictionWrites,
      long refusedEvictions,
      long flushed,
      long flushErrors,
      long skippedUnavailable,
      long aheadEvictions,
      long deferredAdmissions,
      long droppedUnadmitted) {}

  public Counters counters() {
    long[] h = new long[tiers.length];
    for (int i = 0; i < h.length; i++) {
      h[i] = hits.get(i);
    }
    return new Counters(
        h, misses.get(), promotions.get(), failedPromotions.get(), demotions.get(), evictionWrites.get(), refusedEvictions.get(),
        worker.flushedCount(), worker.errorCount(), skippedUnavailable.get(), maintenance.evicted(),
        gate.deferred(), gate.dropped());
  }

  private void ensureOpen() {
    if (closed) {
      throw new LayerUnavailableException("storage engine is closed (expected: calls before close())");
    }
  }

  /**
   * Drains the write-back links (bounded by {@code close_timeout}), then closes every layer.
   *
   * @throws StrataCacheException after closing everything, if dirty artifacts could not be
   *     written down (naming them) or a layer failed to close
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    WritebackReport report = worker.closeAndReport();
    runner.close();
    closed = true;
    List<RuntimeException> failures = new ArrayList<>();
    for (Tier t : tiers) {
      try {
        t.layer().close();
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
    if (!report.complete()) {
      StrataCacheException e = new StrataCacheException(WritebackWorker.describeIncomplete(report, "close"));
      failures.forEach(e::addSuppressed);
      throw e;
    }
    if (!failures.isEmpty()) {
      StrataCacheException e = new StrataCacheException("close: " + failures.size() + " tiers failed to close");
      failures.forEach(e::addSuppressed);
      throw e;
    }
  }
}
