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
 *   <li><b>Eviction.</b> Each layer's {@link io.stratacache.spi.EvictionListener} is wired here,
 *       to {@link WriteDown#beforeEvict}. Before a layer reuses an artifact's space, the chain
 *       writes the artifact into the next tier if it is dirty, or if no lower tier holds it
 *       (demotion; configurable). If that write fails the eviction is refused and the layer picks
 *       another victim: a dirty artifact is thus pinned until its bytes are safe below. The
 *       listener never waits for an artifact's lock (it refuses the eviction instead), so
 *       evictions cannot deadlock with stores.
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
 * <p>Parts: the write-down of an artifact into the tiers below (propagation down the links after
 * a store, the worker's flush, the eviction listener's demotion, the lease held while a store
 * replaces a version that must be written down first, admission on load) lives in {@link
 * WriteDown}; back-pressure in {@link Backpressure}; the admission count in {@link
 * AdmissionGate}; ahead-of-demand eviction in {@link TierMaintenance}; the locks in {@link
 * KeyLocks}; the eviction observers in {@link EvictionObservers}. This class keeps the public calls, the loads and promotions, and the wiring.
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
  private final AgentRunner runner;
  private final WritebackWorker worker;
  private final TierMaintenance maintenance;
  private final AdmissionGate gate;
  private final KeyLocks locks = new KeyLocks();
  private final Backpressure backpressure;
  private final WriteDown writeDown;
  private final AtomicLongArray hits;
  private final AtomicLong misses = new AtomicLong();
  private final AtomicLong promotions = new AtomicLong();
  private final AtomicLong failedPromotions = new AtomicLong();
  private final EvictionObservers observers = new EvictionObservers();
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
    this.hits = new AtomicLongArray(this.tiers.length);
    this.dirty = new DirtySet[this.tiers.length];
    long idle = WritebackWorker.idleNanos(writebackConfig);
    this.runner = new AgentRunner("stratacache-maintenance-" + this.tiers[0].name(), idle);
    this.worker = new WritebackWorker(this.tiers[0].name(), writebackConfig, WriteDown::onFlushError, runner);
    this.writeDown = new WriteDown(this.tiers, this.links, dirty, chainConfig, writebackConfig, worker, gate, locks);
    for (int i = 0; i < this.tiers.length; i++) {
      final int index = i;
      this.tiers[i].layer().setEvictionListener((tier, id, meta, payload) -> {
        boolean evict = writeDown.beforeEvict(index, id);
        if (evict) {
          observers.evicted(tier, id, meta);
        }
        return evict;
      });
      if (i < this.links.length) {
        dirty[i] = new DirtySet(this.tiers[i].name() + "->" + this.tiers[i + 1].name());
        worker.register(dirty[i], id -> writeDown.flushLink(index, id));
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
      writeDown.replacing(index, id, () -> {
        tiers[index].layer().put(id, meta, payload);
        return null;
      });
      invalidate(id, 0, index);
      throwIfFailed(index, id, writeDown.propagate(index, id, meta, payload, stamp));
    });
    if (event.shouldCommit()) {
      event.tier = tiers[index].name();
      event.id = id.value();
      event.bytes = payload.byteSize();
      event.commit();
    }
    maintenance.afterStore(index);
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
      writeDown.replacing(index, id, () -> {
        tiers[index].layer().put(id, meta, payload);
        return null;
      });
      invalidate(id, 0, index);
      invalidate(id, index + 1, tiers.length);
      writeDown.clearDirty(index, id);
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
      r = writeDown.replacing(index, id, () -> tiers[index].layer().reserve(id, meta, size));
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
              throwIfFailed(index, id, writeDown.propagate(index, id, meta, written.segment(), stamp));
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

  /** Tier {@code index}'s lease on {@code id}; {@code null} if it has none or is unavailable. */
  private Lease getOrSkip(int index, ArtifactId id) {
    try {
      return tiers[index].layer().get(id);
    } catch (LayerUnavailableException e) {
      if (!writeDown.selfEvicting(index)) {
        throw e;
      }
      writeDown.skipUnavailable(index, id, "load", e);
      return null;
    }
  }

  private void invalidate(ArtifactId id, int from, int to) {
    for (int i = from; i < to; i++) {
      tiers[i].layer().delete(id);
      writeDown.clearDirty(i, id);
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
      writeDown.used(0, id, lease);
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
        writeDown.used(hitAt, id, lease);
        return lease;
      }
    }
    misses.incrementAndGet();
    return null;
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
        if (!writeDown.selfEvicting(i)) {
          throw e;
        }
        writeDown.skipUnavailable(i, id, "lookup", e);
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
        writeDown.clearDirty(i, id);
      }
      return any;
    }
  }

  /** Removes {@code id} from tier {@code index} and its dirty mark there. */
  public boolean deleteExact(int index, ArtifactId id) {
    ensureOpen();
    try (KeyLocks.Held _ = locks.lock(id)) {
      writeDown.clearDirty(index, id);
      return tiers[index].layer().delete(id);
    }
  }

  // ---------------------------------------------------------------- eviction and flush

  /**
   * Adds {@code observer}; running the returned action removes it, and once it returns the
   * observer hears nothing more ({@link EvictionObservers}).
   */
  public Runnable addObserver(EvictionObserver observer) {
    return observers.add(observer);
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
        h, misses.get(), promotions.get(), failedPromotions.get(), writeDown.demotions(), writeDown.evictionWrites(),
        writeDown.refusedEvictions(),
        worker.flushedCount(), worker.errorCount(), writeDown.skippedUnavailable(), maintenance.evicted(),
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
