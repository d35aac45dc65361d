package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.core.codec.RecordLayout;
import io.stratacache.spi.Capability;
import io.stratacache.spi.CheckReport;
import io.stratacache.spi.Checkable;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import io.stratacache.spi.RoomMaker;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The SSD tier: one {@linkplain RecordLayout SCR1 record} file per artifact under a directory
 * (see {@link SsdPaths} for the tree), crash-safe and found again after a restart.
 *
 * <h2>Design</h2>
 *
 * <p><b>Parts.</b> This class is the tier's API: it checks arguments, writes a store's record and
 * hands the rest to its parts. The in-memory index, its locks and the paths that change it (store,
 * delete, expiry, eviction, quarantine, repair) are {@link SsdIndex}, one entry an {@link
 * SsdEntry}, and the index's appends to the persisted index {@link SsdJournalWriter}; loads and
 * leases are {@link SsdLoads} and {@link SsdLease}, over the shared mappings of {@link
 * SsdMappings}; the byte accounting and the make-room side are {@link SsdSpace}, and what eviction
 * does to files {@link SsdEviction}. The file-system side (tree, record writes, batched syncs,
 * quarantine) is {@link SsdRecordFiles}; the directory listing and header reads at open are {@link
 * SsdRecovery}; the persisted index is {@link SsdIndexJournal}, and building the index at open
 * {@link SsdIndexOpen}; fsck is {@link SsdCheck}. The directory's lock is {@link
 * SsdDirectoryLock}, the daemon thread for batched syncs and expiry {@link SsdBackground}.
 *
 * <p><b>Stores.</b> The payload is checksummed, then written with its prefix to a temporary file
 * in the record's directory by one gathering write. Under {@link FsyncPolicy#ALWAYS} the file is
 * forced, renamed into place with {@code ATOMIC_MOVE} and the directory forced; otherwise it is
 * renamed and, under {@link FsyncPolicy#BATCH}, queued for the background sync. A crash leaves
 * either the old record, the new one, or a temporary file that the next open deletes.
 *
 * <p><b>Capacity.</b> Record bytes (prefix, header, padding, payload) count against {@code
 * capacity}. A store first reserves its bytes (less those of the artifact it replaces: the new
 * record is renamed over the old one, so the old version is never evicted to make room for its
 * replacement) through the shared {@link RoomMaker} protocol, which evicts in policy order and
 * asks the listener with no lock held. A victim whose file is gone lets the eviction go ahead; one
 * whose record fails its checks is quarantined. A store that cannot find room among unleased,
 * unpinned artifacts fails with {@link CapacityException}.
 *
 * <p><b>Expiry.</b> With {@code kv_expire_time} &gt; 0 an artifact that has gone that long without
 * a store or load, and is neither pinned nor leased, is removed by a daemon sweep every {@code
 * cleanup_interval} and treated as absent by any call that finds it. After a restart an
 * artifact's last access is its file's modification time (its store).
 */
public final class SsdLayer implements MemoryLayer, Checkable, io.stratacache.spi.ArtifactAges {
  private final String tier;
  private final SsdConfig config;
  private final SsdPaths paths;
  private final SsdRecordFiles files;
  private final SsdIndex index;
  private final SsdSpace space;
  private final RoomMaker<SsdEntry> room;
  private final SsdLoads loads;
  private final SsdDirectoryLock dirLock;
  private final SsdBackground background;
  private final int recoveredArtifacts;
  private final int recoveredTempFiles;
  private final String indexFallback;
  /** What the open found wrong and corrected, for the next {@link #check}; guarded by itself. */
  private final List<String> foundAtOpen = new ArrayList<>();

  /**
   * Opens the tier described by {@code spec} (see {@link SsdConfig} for its settings).
   *
   * @throws io.stratacache.core.ConfigException if a setting is unknown or invalid
   * @throws LayerUnavailableException if the directory cannot be created or another layer has it
   *     open
   */
  public static SsdLayer open(LayerSpec spec) {
    return open(spec.tier(), SsdConfig.from(spec));
  }

  /** Opens a tier named {@code tier} with {@code config}. */
  public static SsdLayer open(String tier, SsdConfig config) {
    return new SsdLayer(tier, config, System::nanoTime);
  }

  /**
   * As {@link #open(String, SsdConfig)} with the nanosecond clock that expiry and last access read
   * ({@link System#nanoTime} otherwise), so that tests drive expiry with a controllable clock. The
   * sweep still runs every {@code cleanup_interval} of real time; it reads this clock.
   */
  static SsdLayer open(String tier, SsdConfig config, LongSupplier nanoClock) {
    return new SsdLayer(tier, config, nanoClock);
  }

  private SsdLayer(String tier, SsdConfig config, LongSupplier clock) {
    this.tier = Objects.requireNonNull(tier, "tier");
    this.config = Objects.requireNonNull(config, "config");
    this.paths = new SsdPaths(config.path().toAbsolutePath().normalize());
    this.files = new SsdRecordFiles(paths, config, where());
    this.index = new SsdIndex(config, paths, files, clock, tier, where());
    this.space = index.space;
    this.room = index.room;
    this.loads = new SsdLoads(index, tier, config.verifyEveryLoad());
    files.createRoot();
    this.dirLock = SsdDirectoryLock.acquire(paths, config, tier, where());
    boolean success = false;
    try {
      SsdIndexOpen.Opened opened = index.load(config, foundAtOpen);
      this.recoveredArtifacts = opened.artifacts();
      this.recoveredTempFiles = opened.tempFiles();
      this.indexFallback = opened.fallback();
      this.background = new SsdBackground(tier, where(), config, files, index);
      success = true;
    } finally {
      if (!success) {
        dirLock.abandon();
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // MemoryLayer

  @Override
  public String name() {
    return tier;
  }

  /** Durable: records survive close and a crash. */
  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.DURABLE);
  }

  /** Bytes this layer may hold (also in {@link #stats()}). */
  public long capacityBytes() {
    return config.capacityBytes();
  }

  /** The directory this layer keeps its records in. */
  public Path directory() {
    return paths.root();
  }

  /** The settings this layer was opened with. */
  public SsdConfig config() {
    return config;
  }

  /** Records found valid when this layer opened. */
  public int recoveredArtifacts() {
    return recoveredArtifacts;
  }

  /**
   * Why this layer read every record header when it opened instead of trusting its persisted
   * index (e.g. the index was missing or damaged), or null if it trusted the index.
   */
  String indexFallback() {
    return indexFallback;
  }

  /** Temporary files of interrupted stores removed when this layer opened. */
  public int recoveredTempFiles() {
    return recoveredTempFiles;
  }

  /** Forces what {@link FsyncPolicy#BATCH} has not forced yet (see {@link SsdRecordFiles}). */
  void syncUnsynced(boolean wholeFileSystem) {
    files.syncUnsynced(wholeFileSystem);
  }

  /** Stored files that {@link FsyncPolicy#BATCH} has not forced yet. */
  int unsyncedFiles() {
    return files.unsyncedFiles();
  }

  /** Artifacts removed because they expired. */
  public long expiredArtifacts() {
    return index.expired();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Durable when this returns under {@link FsyncPolicy#ALWAYS}; see {@link FsyncPolicy} for
   * the others.
   *
   * @throws CapacityException if the record is larger than the tier or cannot fit beside leased
   *     and pinned artifacts, or the file system is full
   * @throws LayerUnavailableException if the layer is closed or the file cannot be written
   */
  @Override
  public void put(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(meta, "meta");
    Objects.requireNonNull(payload, "payload");
    ensureOpen();
    byte[] header = RecordCodec.headerJson(id, meta);
    int alignment = config.alignment();
    long prefixLength = RecordLayout.payloadOffset(header.length, alignment);
    long recordSize = prefixLength + payload.byteSize();
    if (recordSize > config.capacityBytes()) {
      throw room.refuse(new CapacityException(
          where() + ": artifact " + id + " of " + payload.byteSize() + " bytes needs a record of " + recordSize
              + " bytes (expected: at most the tier's capacity, " + config.capacityBytes() + " bytes)"));
    }
    long reservation = space.reserve(id, recordSize);
    String hash = SsdPaths.hash(id);
    Path file = paths.recordFile(hash);
    Path tmp = files.tempFile(file);
    boolean published = false;
    try {
      files.ensureLeafDir(SsdPaths.leafIndex(hash));
      int crc = files.writeRecord(tmp, header, payload);
      SsdEntry fresh = new SsdEntry(id, SsdPaths.nameKey(hash), recordSize, (int) prefixLength, crc, index.now());
      index.publish(fresh, file, tmp, reservation);
      published = true;
      index.mappings.drainUnmaps();
    } catch (IOException e) {
      throw index.failure("cannot store " + id + " in " + file, e);
    } finally {
      if (!published) {
        space.unreserve(reservation);
        SsdRecordFiles.deleteQuietly(tmp);
      }
    }
    switch (config.fsync()) {
      case ALWAYS -> {
        try {
          SsdRecordFiles.forceDirectory(file.getParent());
        } catch (IOException e) {
          throw index.failure("stored " + id + " but cannot force directory " + file.getParent(), e);
        }
      }
      case BATCH -> files.markUnsynced(file);
      case NEVER -> { }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Maps the record (or takes its shared mapping) and checks its header, size and stored
   * checksum against the index. The payload's CRC32C is checked when the record is first mapped in
   * this process ({@code verify: once}, the default; a record that fails is quarantined and
   * reported absent), or, with {@code verify: always}, by the lease on its first read: see {@link
   * SsdLease}. Either way the lease itself costs no pass over the payload once the record is
   * mapped and checked. See {@link SsdLoads} for how records are mapped and shared.
   *
   * @throws LayerUnavailableException if the layer is closed or the file cannot be read
   */
  @Override
  public Lease get(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    ensureOpen();
    return loads.get(id);
  }

  /** When {@code id}'s record file was last written (its modification time), or {@code null}. */
  @Override
  public java.time.Instant lastUsed(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    ensureOpen();
    Path file = index.fileIfIndexed(id);
    if (file == null) {
      return null;
    }
    try {
      return java.nio.file.Files.getLastModifiedTime(file).toInstant();
    } catch (java.io.IOException gone) {
      return null; // deleted or replaced meanwhile
    }
  }

  @Override
  public boolean contains(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    ensureOpen();
    return index.contains(id);
  }

  @Override
  public boolean delete(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    ensureOpen();
    return index.delete(id);
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
    ensureOpen();
    return index.ids();
  }

  @Override
  public LayerStats stats() {
    ensureOpen();
    SsdIndex.Counts c = index.counts();
    return new LayerStats(
        tier, config.capacityBytes(), c.usedBytes(), c.artifacts(), loads.openLeases(), c.pinned(), loads.hits(),
        loads.misses(), index.puts(), room.evictions(), room.rejected(), files.corrupt());
  }

  @Override
  public void setEvictionListener(EvictionListener listener) {
    Objects.requireNonNull(listener, "listener");
    ensureOpen();
    room.setListener(listener);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The payload is gathered in memory and written as a store on commit.
   *
   * @throws LayerUnavailableException if the layer is closed
   */
  @Override
  public Reservation reserve(ArtifactId id, ArtifactMeta meta, long size) {
    ensureOpen();
    return MemoryLayer.super.reserve(id, meta, size);
  }

  /**
   * Closes the layer: stops the background tasks, forces what {@link FsyncPolicy#BATCH} has not
   * yet forced, and releases the directory. Records stay for the next open; open leases stay
   * valid until closed. Calls still running when this is called may complete. Idempotent.
   */
  @Override
  public void close() {
    if (!index.markClosed()) {
      return;
    }
    index.dropIdleMappings();
    try {
      background.shutdown();
      if (config.fsync() == FsyncPolicy.BATCH) {
        files.syncUnsynced();
      }
    } finally {
      index.closeJournal();
      room.close();
      dirLock.release();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Check and repair

  /**
   * {@inheritDoc}
   *
   * <p>Reads every record file whole (see {@link SsdCheck} for what counts as what), and reports
   * as well what this layer's open found wrong and corrected: temporary files it removed, invalid
   * records it quarantined, and index entries or files it had to correct (so that a check right
   * after an open reports the damage the open repaired; a repair clears those). Meant for a layer
   * opened for the purpose: stores and loads running meanwhile may be reported as findings.
   *
   * @throws LayerUnavailableException if the layer is closed or a file cannot be read
   */
  @Override
  public CheckReport check(boolean repair) {
    ensureOpen();
    synchronized (foundAtOpen) {
      CheckReport r = SsdCheck.run(index, tier, paths, List.copyOf(foundAtOpen), repair);
      if (repair) {
        foundAtOpen.clear();
      }
      return r;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Expiry

  /**
   * Waits until the background sweep has completed a pass that began after this call (tests drive
   * expiry with a controllable clock and wait for the sweep with this, not with sleeps).
   *
   * @return false if none did within {@code timeoutMillis}
   */
  boolean awaitBackgroundSweep(long timeoutMillis) throws InterruptedException {
    return background.awaitSweep(timeoutMillis);
  }

  /** Removes every expired artifact; what the daemon sweep runs. */
  void sweepExpired() {
    background.sweepExpired();
  }

  // ------------------------------------------------------------------------------------------
  // Helpers

  private void ensureOpen() {
    index.ensureOpen();
  }

  private String where() {
    return "ssd tier '" + tier + "'";
  }
}
