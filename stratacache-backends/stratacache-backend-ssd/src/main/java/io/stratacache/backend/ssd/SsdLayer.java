package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.CodecException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.StrataCacheException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.core.codec.RecordLayout;
import io.stratacache.core.io.UnsafePathException;
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
import io.stratacache.spi.RoomMaker;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The SSD tier: one {@linkplain RecordLayout SCR1 record} file per artifact under a directory
 * (see {@link SsdPaths} for the tree), crash-safe and found again after a restart.
 *
 * <h2>Design</h2>
 *
 * <p><b>Parts.</b> The file-system side (tree, record writes, batched syncs, quarantine) is {@link
 * SsdRecordFiles}; the shared mappings and their idle list are {@link SsdMappings}; the byte
 * accounting and the make-room side are {@link SsdSpace}; the directory listing and header reads
 * at open are {@link SsdRecovery}; the persisted index is {@link SsdIndexJournal}; fsck is {@link
 * SsdCheck}, and building the index at open {@link SsdIndexOpen}. This class keeps the index and
 * the paths that change it (store, load, delete, expiry, eviction, repair), which share the stripe
 * and state locks, their lock order and the journal's append order; at about 1,150 lines it is over
 * the usual size for that reason (half of it javadoc and error messages).
 *
 * <p><b>Index.</b> Memory holds id &rarr; {@link SsdEntry} (record size, payload offset and
 * checksum, last access, lease count; the file name is the id's hash, computed when needed). It is
 * persisted as it changes in {@link SsdIndexJournal} and replayed at open, then checked against a
 * listing of the directory by {@link SsdRecovery}: entries whose file is gone are dropped, files
 * the journal does not know (or whose store it saw begin but not end) have their headers read.
 * Without a trusted journal (missing, damaged, or left open by a machine that has restarted since)
 * every header is read, which one log line says. The journal is rewritten as a snapshot (compacted)
 * at open when the directory corrected it or it had grown past twice the live entries, and by a
 * running layer when it has grown by its live size plus {@value SsdIndexJournal#COMPACT_SLACK}
 * records. A load checks the record's header, size and stored checksum against its entry, so an
 * entry that disagrees with its file is never served.
 *
 * <p><b>Locks.</b> One {@code state} lock guards the index, the eviction policy and the byte
 * accounting; it is held for a few map operations, never across I/O. 256 striped read-write locks
 * tie file names to index entries: a load opens its file under the stripe's read lock; a store
 * renames its temporary file into place, and a delete, eviction, expiry or quarantine unlinks,
 * under the write lock; so a lease always counts against the entry whose file it opened. Writing
 * payloads, mapping and checking records and calling the eviction listener take no lock. Journal
 * appends are made under the stripe's write lock (so that the journal orders each id's changes as
 * the directory saw them) but never under the state lock; a compaction takes the journal's monitor
 * and then the state lock for its snapshot. Lock order: stripe, then journal, then state.
 *
 * <p><b>Stores.</b> The payload is checksummed, then written with its prefix to a temporary file
 * in the record's directory by one gathering write. Under {@link FsyncPolicy#ALWAYS} the file is
 * forced, renamed into place with {@code ATOMIC_MOVE} and the directory forced; otherwise it is
 * renamed and, under {@link FsyncPolicy#BATCH}, queued for the background sync. A crash leaves
 * either the old record, the new one, or a temporary file that the next open deletes.
 *
 * <p><b>Loads.</b> A record file is mapped read-only once and the mapping shared: each lease takes
 * a reference, and its view is the mapping's own payload segment, whose shared arena is closed
 * when the mapping is unmapped: one arena close per mapping, none per lease. A segment kept past
 * its lease's close reads the record's own bytes (a record file is never written in place) until
 * the mapping is unmapped, and faults from then on; the mapping outlives its last lease (up to {@value
 * SsdMappings#IDLE} idle ones, least recently used unmapped first) so that the next load of the
 * record skips the open, the mapping and its page faults. Mapping rather than reading into memory
 * the lease owns is a measured choice ({@code SsdLeaseStrategyBenchmark}): from 4 MiB up it is
 * 1.5 to 3 times faster, since a copy target must be zeroed and faulted in or pooled, and copied
 * into; at 1 MiB a fresh mapping loses to a pooled read, which the shared mapping makes up for
 * on repeated loads. Each load checks magic, header checksum, size and, with {@code verify:
 * always} (the default), the payload's CRC32C ({@code verify: once}: the first load of each record
 * version). A mapping keeps the bytes of its file after the file is unlinked or renamed over, and
 * records are never written in place, so deleting or replacing an artifact never disturbs an open
 * lease; the mapping of a record that is gone is unmapped with its last lease. A record that fails
 * a check is moved to {@code corrupt/}, counted in {@link LayerStats#corrupt()} and reported
 * absent.
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
  private static final int STRIPES = 256;
  private static final System.Logger LOG = System.getLogger(SsdLayer.class.getName());

  private final String tier;
  private final SsdConfig config;
  private final SsdPaths paths;
  private final LongSupplier clock;
  private final long expireNanos;
  private final FileChannel lockChannel;
  private final FileLock dirLock;

  private final ReentrantLock state = new ReentrantLock();
  private final Map<ArtifactId, SsdEntry> index = new HashMap<>();
  private final EvictionPolicy policy;
  private final SsdSpace space;
  private final RoomMaker<SsdEntry> room;

  private final ReentrantReadWriteLock[] stripes = new ReentrantReadWriteLock[STRIPES];
  private final SsdMappings mappings = new SsdMappings(state, e -> index.get(e.id) == e && !this.closed);
  private final SsdRecordFiles files;
  private final ScheduledExecutorService background;
  private volatile boolean closed;
  private final Object closeLock = new Object();

  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder puts = new LongAdder();
  private final LongAdder expired = new LongAdder();
  private final AtomicLong openLeases = new AtomicLong();
  private final Object sweepMonitor = new Object();
  /** Sweeps completed; guarded by {@link #sweepMonitor}. */
  private long sweeps;
  private final int recoveredArtifacts;
  private final int recoveredTempFiles;
  private final String indexFallback;
  /** What the open found wrong and corrected, for the next {@link #check}; guarded by itself. */
  private final List<String> foundAtOpen = new ArrayList<>();
  private SsdIndexJournal journal;
  private volatile boolean journalOn;

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
    this.clock = clock;
    this.paths = new SsdPaths(config.path().toAbsolutePath().normalize());
    this.expireNanos = config.expireAfter().toNanos();
    this.policy = EvictionPolicy.forName(config.evictionPolicy());
    this.space = new SsdSpace(
        state, index, policy, config.capacityBytes(), where(), this::offerVictim, this::removeVictim, this::ensureOpen);
    this.room = space.room;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new ReentrantReadWriteLock();
    }
    this.files = new SsdRecordFiles(paths, config, where());
    files.createRoot();
    FileChannel channel;
    try {
      channel = config.access().openOrCreate(paths.lockFile());
    } catch (UnsafePathException e) {
      throw new LayerUnavailableException(where() + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new LayerUnavailableException(where() + ": cannot open " + paths.lockFile() + ": " + e, e);
    }
    boolean success = false;
    try {
      FileLock lock;
      boolean here = false;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
        here = true;
      }
      if (lock == null) {
        String holder = here ? "another layer in this process (pid " + ProcessHandle.current().pid() + ")" : holderOf(paths.lockFile());
        throw new LayerUnavailableException(
            where() + ": directory " + paths.root() + " is already open, held by " + holder + " (lock file " + paths.lockFile()
                + "; expected: one layer per directory; close the other, or give tiers." + tier + ".path a directory of its own)");
      }
      channel.truncate(0);
      channel.write(java.nio.ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n").getBytes(
          java.nio.charset.StandardCharsets.US_ASCII)), 0);
      this.lockChannel = channel;
      this.dirLock = lock;
      SsdIndexOpen.Opened opened;
      state.lock();
      try {
        opened = SsdIndexOpen.loadLocked(
            paths, config, where(), clock.getAsLong(), index, policy, space, files, foundAtOpen);
      } finally {
        state.unlock();
      }
      this.journal = opened.journal();
      this.journalOn = opened.journal() != null;
      this.recoveredArtifacts = opened.artifacts();
      this.recoveredTempFiles = opened.tempFiles();
      this.indexFallback = opened.fallback();
      this.background = startBackground();
      success = true;
    } catch (IOException e) {
      throw new LayerUnavailableException(where() + ": cannot lock " + paths.lockFile() + ": " + e, e);
    } finally {
      if (!success) {
        SsdRecordFiles.closeQuietly(channel);
      }
    }
  }

  /** Who holds the lock file, from the pid its holder wrote into it. */
  private static String holderOf(Path lockFile) {
    try {
      String text = Files.readString(lockFile, java.nio.charset.StandardCharsets.US_ASCII).trim();
      if (text.startsWith("pid ")) {
        long pid = Long.parseLong(text.substring(4).trim());
        String command = ProcessHandle.of(pid).flatMap(h -> h.info().command()).map(c -> ", " + c).orElse("");
        return "process " + pid + command;
      }
    } catch (IOException | RuntimeException e) {
      // an older layer wrote no pid, or it cannot be read: say so below
    }
    return "another process (its pid is not in the lock file)";
  }

  /** The live entries in eviction order, as the journal writes them; under the state lock. */
  private List<SsdIndexJournal.Live> snapshotLocked() {
    return SsdIndexOpen.snapshotLocked(index, policy, clock.getAsLong());
  }

  private static SsdIndexJournal.Live live(SsdEntry e, long now, long wallNow) {
    return SsdIndexOpen.live(e, now, wallNow);
  }

  private List<SsdIndexJournal.Live> snapshot() {
    state.lock();
    try {
      return snapshotLocked();
    } finally {
      state.unlock();
    }
  }

  /** One append to the journal. */
  private interface JournalWrite {
    /** Appends; returns whether a compaction is due. */
    boolean write(SsdIndexJournal j) throws IOException;
  }

  /**
   * Appends to the journal if it is on. A failure turns it off and deletes it, so that the next
   * open reads every record header instead of trusting an index that misses changes.
   *
   * @return whether the append was made
   */
  private boolean journal(JournalWrite w) {
    if (!journalOn) {
      return false;
    }
    boolean compact;
    try {
      compact = w.write(journal);
    } catch (IOException e) {
      journalFailed(e);
      return false;
    }
    if (compact) {
      try {
        journal.compactIfDue(this::snapshot);
      } catch (IOException e) {
        journalFailed(e);
      }
    }
    return true;
  }

  private void journalFailed(IOException e) {
    synchronized (closeLock) {
      if (closed || !journalOn) {
        return;
      }
      journalOn = false;
    }
    LOG.log(System.Logger.Level.WARNING, where() + ": cannot write the index " + paths.journalFile() + " (" + e
        + "); it is deleted and the next open reads every record header");
    SsdRecordFiles.deleteQuietly(paths.journalFile());
  }

  /** The file of {@code e}'s record. */
  private Path fileOf(SsdEntry e) {
    return paths.recordFile(e.id);
  }

  private ScheduledExecutorService startBackground() {
    boolean batch = config.fsync() == FsyncPolicy.BATCH;
    if (!batch && expireNanos == 0) {
      return null;
    }
    ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "stratacache-ssd-" + tier);
      t.setDaemon(true);
      return t;
    });
    if (batch) {
      long ms = config.fsyncInterval().toMillis();
      s.scheduleWithFixedDelay(() -> background("sync", files::syncUnsynced), ms, ms, TimeUnit.MILLISECONDS);
    }
    if (expireNanos > 0) {
      long ns = config.cleanupInterval().toNanos();
      s.scheduleWithFixedDelay(() -> background("expiry sweep", this::sweepExpired), ns, ns, TimeUnit.NANOSECONDS);
    }
    return s;
  }

  private void background(String what, Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, where() + ": " + what + " failed; will retry", e);
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
    return expired.sum();
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
      SsdEntry fresh = new SsdEntry(id, SsdPaths.nameKey(hash), recordSize, (int) prefixLength, crc, clock.getAsLong());
      publish(fresh, file, tmp, reservation);
      published = true;
      mappings.drainUnmaps();
    } catch (IOException e) {
      throw ioFailure("cannot store " + id + " in " + file, e);
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
          throw ioFailure("stored " + id + " but cannot force directory " + file.getParent(), e);
        }
      }
      case BATCH -> files.markUnsynced(file);
      case NEVER -> { }
    }
  }

  /**
   * Renames the record into place and indexes it, under the id's stripe lock: the journal gets the
   * intent before the rename and the entry after it (see {@link SsdIndexJournal}).
   */
  private void publish(SsdEntry fresh, Path file, Path tmp, long reservation) throws IOException {
    ReentrantReadWriteLock.WriteLock w = stripe(fresh.id).writeLock();
    w.lock();
    try {
      journal(j -> {
        j.intent(fresh.id);
        return false;
      });
      if (closed) {
        journal(j -> {
          j.abandon(fresh.id);
          return false;
        });
        throw new LayerUnavailableException(where() + " is closed");
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException | RuntimeException x) {
        journal(j -> {
          j.abandon(fresh.id);
          return false;
        });
        throw x;
      }
      state.lock();
      try {
        SsdEntry old = index.put(fresh.id, fresh);
        space.addedLocked(fresh.size, reservation);
        if (old != null) {
          space.removedLocked(old.size);
          mappings.dropIdleLocked(old);
        }
        policy.onInsert(fresh.id, fresh.size);
        puts.increment();
      } finally {
        state.unlock();
      }
      long now = clock.getAsLong();
      journal(j -> j.put(live(fresh, now, System.currentTimeMillis())));
    } finally {
      w.unlock();
    }
  }

  /** Removes an eviction victim and deletes its file if it is still removable; no lock held. */
  private boolean removeVictim(SsdEntry victim) {
    return removeIfCurrent(victim.id, victim, room::removableLocked, SsdRecordFiles::deleteQuietly) != null;
  }

  /**
   * Maps an eviction victim's record for the listener, no lock held. A record whose file is gone,
   * or holds a newer version than the victim, lets the eviction go ahead (its removal then finds
   * the victim no longer current); one that fails its checks is quarantined.
   */
  private boolean offerVictim(SsdEntry victim, EvictionListener listener) {
    String corruptReason = null;
    Path file = fileOf(victim);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment payload;
      ArtifactMeta meta = null;
      try (FileChannel ch = SsdRecordFiles.openRecord(file)) {
        MemorySegment record = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        RecordCodec.Header h = RecordCodec.readHeader(record);
        if (h.id().equals(victim.id) && (record.byteSize() != victim.size || h.payloadCrc() != victim.payloadCrc)) {
          return true; // replaced since it was picked: removing the victim's entry will find it gone
        }
        if (!h.id().equals(victim.id)) {
          throw new CodecException("record " + file + " holds " + h.id() + " (expected: " + victim.id + ")");
        }
        payload = record.asSlice(victim.payloadOffset, victim.payloadLength()).asReadOnly();
        RecordCodec.verifyPayload(h, payload);
        meta = h.meta();
      } catch (NoSuchFileException e) {
        return true;
      } catch (CodecException e) {
        corruptReason = e.getMessage();
        payload = null;
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, where() + ": cannot read eviction victim " + file, e);
        return false;
      }
      if (payload != null) {
        return listener.beforeEvict(tier, victim.id, meta, payload);
      }
    }
    quarantine(victim, corruptReason);
    return false;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Maps the record (or takes its shared mapping) and checks its header, size and stored
   * checksum against the index. The payload's CRC32C is checked when the record is first mapped in
   * this process ({@code verify: once}, the default; a record that fails is quarantined and
   * reported absent), or, with {@code verify: always}, by the lease on its first read: see {@link
   * SsdLease}. Either way the lease itself costs no pass over the payload once the record is
   * mapped and checked.
   *
   * @throws LayerUnavailableException if the layer is closed or the file cannot be read
   */
  @Override
  public Lease get(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    ensureOpen();
    SsdEntry e;
    SsdMappings.Mapping m = null;
    FileChannel ch = null;
    boolean stale = false;
    String link = null;
    ReentrantReadWriteLock.ReadLock r = stripe(id).readLock();
    r.lock();
    try {
      state.lock();
      try {
        e = index.get(id);
        if (e == null) {
          misses.increment();
          return null;
        }
        long now = clock.getAsLong();
        if (isExpired(e, now)) {
          stale = true;
        } else {
          e.leases++;
          e.lastAccess = now;
          policy.onAccess(id);
          m = mappings.takeLocked(e);
        }
      } finally {
        state.unlock();
      }
      if (!stale && m == null) {
        try {
          ch = SsdRecordFiles.openRecord(fileOf(e));
        } catch (NoSuchFileException | AccessDeniedException x) {
          ch = null;
        } catch (CodecException x) {
          link = x.getMessage();
        } catch (IOException x) {
          releaseLease(e, null);
          throw ioFailure("cannot open " + fileOf(e), x);
        }
      }
    } finally {
      r.unlock();
    }
    if (stale) {
      expire(e);
      misses.increment();
      return null;
    }
    String corruptReason = link;
    if (link != null) {
      releaseLease(e, null);
    } else if (m == null) {
      if (ch == null) {
        releaseLease(e, null);
        forget(e, "its file " + fileOf(e) + " vanished");
        misses.increment();
        return null;
      }
      try {
        m = mappings.map(e, ch);
      } catch (IOException x) {
        throw ioFailure("cannot read " + fileOf(e), x);
      } catch (CodecException x) {
        corruptReason = x.getMessage();
      } finally {
        if (m == null) {
          releaseLease(e, null);
        }
      }
    }
    if (m != null) {
      boolean leased = false;
      try {
        boolean checkOnRead = config.verifyEveryLoad();
        if (!checkOnRead && !e.verified) {
          RecordCodec.verifyPayload(m.header, m.payload);
          e.verified = true;
        }
        Lease lease = new SsdLease(this, e, m, !checkOnRead);
        openLeases.incrementAndGet();
        hits.increment();
        leased = true;
        return lease;
      } catch (CodecException x) {
        corruptReason = x.getMessage();
      } finally {
        if (!leased) {
          releaseLease(e, m);
        }
      }
    }
    quarantine(e, corruptReason);
    misses.increment();
    return null;
  }

  /**
   * A lease found {@code e}'s payload failing its checksum on its first read: quarantines the record
   * and returns the error for the lease to throw.
   */
  CodecException failedCheck(SsdEntry e, CodecException failure) {
    quarantine(e, failure.getMessage());
    return failure;
  }

  /** A lease on {@code e} over {@code m} was closed. */
  void release(SsdEntry e, SsdMappings.Mapping m) {
    openLeases.decrementAndGet();
    releaseLease(e, m);
  }

  /** Gives back a lease count on {@code e} and, if not null, a reference to {@code m}. */
  private void releaseLease(SsdEntry e, SsdMappings.Mapping m) {
    state.lock();
    try {
      e.leases--;
      if (m != null) {
        mappings.releaseLocked(e, m);
      }
    } finally {
      state.unlock();
    }
    mappings.drainUnmaps();
  }

  /** When {@code id}'s record file was last written (its modification time), or {@code null}. */
  @Override
  public java.time.Instant lastUsed(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    ensureOpen();
    Path file;
    state.lock();
    try {
      SsdEntry e = index.get(id);
      if (e == null) {
        return null;
      }
      file = fileOf(e);
    } finally {
      state.unlock();
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
    SsdEntry e;
    state.lock();
    try {
      e = index.get(id);
      if (e == null || !isExpired(e, clock.getAsLong())) {
        return e != null;
      }
    } finally {
      state.unlock();
    }
    expire(e);
    return false;
  }

  @Override
  public boolean delete(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    ensureOpen();
    return removeIfCurrent(id, null, e -> true, file -> {
      try {
        Files.deleteIfExists(file);
      } catch (IOException x) {
        throw ioFailure("cannot delete " + file, x);
      }
    }) != null;
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
    state.lock();
    try {
      long now = clock.getAsLong();
      List<ArtifactId> out = new ArrayList<>(index.size());
      for (SsdEntry e : index.values()) {
        if (!isExpired(e, now)) {
          out.add(e.id);
        }
      }
      return out;
    } finally {
      state.unlock();
    }
  }

  @Override
  public LayerStats stats() {
    ensureOpen();
    long used;
    long artifacts;
    long pinned;
    state.lock();
    try {
      used = space.usedLocked();
      artifacts = index.size();
      pinned = room.pinnedLocked();
    } finally {
      state.unlock();
    }
    return new LayerStats(
        tier, config.capacityBytes(), used, artifacts, openLeases.get(), pinned, hits.sum(), misses.sum(), puts.sum(),
        room.evictions(), room.rejected(), files.corrupt());
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
    synchronized (closeLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    state.lock();
    try {
      mappings.dropAllIdleLocked();
    } finally {
      state.unlock();
    }
    mappings.drainUnmaps();
    try {
      if (background != null) {
        background.shutdown();
        awaitQuietly(background);
      }
      if (config.fsync() == FsyncPolicy.BATCH) {
        files.syncUnsynced();
      }
    } finally {
      if (journalOn) {
        try {
          journal.close(SsdRecovery.leafMtimes(paths));
        } catch (IOException e) {
          LOG.log(System.Logger.Level.WARNING, where() + ": cannot close the index " + paths.journalFile(), e);
        }
      }
      room.close();
      try {
        dirLock.release();
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, where() + ": cannot unlock " + paths.lockFile(), e);
      }
      SsdRecordFiles.closeQuietly(lockChannel);
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
      CheckReport r = SsdCheck.run(this, paths, List.copyOf(foundAtOpen), repair);
      if (repair) {
        foundAtOpen.clear();
      }
      return r;
    }
  }

  /** A snapshot of the index's entries. */
  List<SsdEntry> entries() {
    state.lock();
    try {
      return new ArrayList<>(index.values());
    } finally {
      state.unlock();
    }
  }

  /** Drops {@code e}, whose file is gone, if it is still current (repair). */
  void dropMissing(SsdEntry e) {
    removeIfCurrent(e.id, e, x -> true, file -> { });
  }

  /** Quarantines {@code file}, dropping {@code e} (the entry with its name, or null) if current (repair). */
  void quarantineFile(SsdEntry e, Path file, String reason) {
    if (e == null || !fileOf(e).equals(file)
        || removeIfCurrent(e.id, e, x -> true, f -> files.quarantineFile(f, reason)) == null) {
      files.quarantineFile(file, reason);
    }
  }

  /** Indexes a valid record found on disk, replacing any entry of its id (repair). */
  void adopt(SsdRecovery.Found f) {
    SsdEntry fresh = new SsdEntry(f.id(), f.nameKey(), f.size(), f.payloadOffset(), f.payloadCrc(), clock.getAsLong());
    ReentrantReadWriteLock.WriteLock w = stripe(f.id()).writeLock();
    w.lock();
    try {
      state.lock();
      try {
        SsdEntry old = index.put(fresh.id, fresh);
        if (old != null) {
          space.removedLocked(old.size);
          mappings.dropIdleLocked(old);
        }
        space.addedLocked(fresh.size, 0);
        policy.onInsert(fresh.id, fresh.size);
      } finally {
        state.unlock();
      }
      long now = clock.getAsLong();
      journal(j -> j.put(live(fresh, now, System.currentTimeMillis())));
    } finally {
      w.unlock();
      mappings.drainUnmaps();
    }
  }

  /** Rewrites the journal from the index (repair). */
  void rewriteJournal() {
    try {
      if (journalOn) {
        journal.compact(snapshot());
      } else {
        journal = SsdIndexJournal.create(
            paths.journalFile(), snapshot(), config.fsync() != FsyncPolicy.NEVER, config.access());
        journalOn = true;
      }
    } catch (IOException e) {
      throw ioFailure("cannot rewrite the index " + paths.journalFile(), e);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Expiry, quarantine, sync

  private boolean isExpired(SsdEntry e, long now) {
    return expireNanos > 0 && e.leases == 0 && !room.isPinnedLocked(e.id) && !room.isEvictingLocked(e)
        && now - e.lastAccess >= expireNanos;
  }

  /**
   * Waits until the background sweep has completed a pass that began after this call (tests drive
   * expiry with a controllable clock and wait for the sweep with this, not with sleeps).
   *
   * @return false if none did within {@code timeoutMillis}
   */
  boolean awaitBackgroundSweep(long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    synchronized (sweepMonitor) {
      long target = sweeps + 2; // the pass running now may have read the clock before this call
      while (sweeps < target) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          return false;
        }
        sweepMonitor.wait(left);
      }
      return true;
    }
  }

  /** Removes every expired artifact; what the daemon sweep runs. */
  void sweepExpired() {
    try {
      sweepExpiredOnce();
    } finally {
      synchronized (sweepMonitor) {
        sweeps++;
        sweepMonitor.notifyAll();
      }
    }
  }

  private void sweepExpiredOnce() {
    List<SsdEntry> stale = new ArrayList<>();
    state.lock();
    try {
      long now = clock.getAsLong();
      for (SsdEntry e : index.values()) {
        if (isExpired(e, now)) {
          stale.add(e);
        }
      }
    } finally {
      state.unlock();
    }
    for (SsdEntry e : stale) {
      expire(e);
    }
  }

  private void expire(SsdEntry e) {
    if (removeIfCurrent(e.id, e, x -> isExpired(x, clock.getAsLong()), SsdRecordFiles::deleteQuietly) != null) {
      expired.increment();
    }
  }

  /** Drops {@code e} from the index if it is still current (its file is gone). */
  private void forget(SsdEntry e, String why) {
    if (removeIfCurrent(e.id, e, x -> true, file -> { }) != null) {
      LOG.log(System.Logger.Level.WARNING, where() + ": dropped " + e.id + ": " + why);
    }
  }

  /** Removes {@code e} from the index and moves its file to the quarantine, if it is current. */
  private void quarantine(SsdEntry e, String reason) {
    if (removeIfCurrent(e.id, e, x -> true, file -> files.quarantineFile(file, reason)) == null) {
      files.countCorrupt();
    }
  }

  /**
   * Under {@code id}'s stripe write lock: if the index holds {@code expected} for {@code id} (or
   * anything, when {@code expected} is null) and {@code condition} accepts it under the state
   * lock, removes it from the index and passes its file to {@code fileAction}, still under the
   * stripe lock so that no newer file can take its name meanwhile.
   *
   * @return the entry removed, or {@code null}
   */
  private SsdEntry removeIfCurrent(ArtifactId id, SsdEntry expected, Predicate<SsdEntry> condition, Consumer<Path> fileAction) {
    ReentrantReadWriteLock.WriteLock w = stripe(id).writeLock();
    w.lock();
    try {
      SsdEntry e;
      state.lock();
      try {
        e = index.get(id);
        if (e == null || (expected != null && e != expected) || !condition.test(e)) {
          return null;
        }
        removeLocked(e);
      } finally {
        state.unlock();
      }
      fileAction.accept(fileOf(e));
      journal(j -> j.remove(e.id));
      return e;
    } finally {
      w.unlock();
      mappings.drainUnmaps();
    }
  }

  private void removeLocked(SsdEntry e) {
    index.remove(e.id);
    mappings.dropIdleLocked(e);
    space.removedLocked(e.size);
    policy.onRemove(e.id);
    room.unpinAllLocked(e.id);
  }

  // ------------------------------------------------------------------------------------------
  // Helpers

  private ReentrantReadWriteLock stripe(ArtifactId id) {
    int h = id.hashCode();
    return stripes[(h ^ (h >>> 16)) & (STRIPES - 1)];
  }

  private void ensureOpen() {
    if (closed) {
      throw new LayerUnavailableException(where() + " is closed");
    }
  }

  private String where() {
    return "ssd tier '" + tier + "'";
  }

  private StrataCacheException ioFailure(String what, IOException e) {
    String msg = String.valueOf(e.getMessage());
    if (msg.contains("No space left on device")) {
      return room.refuse(new CapacityException(where() + ": " + what + ": the file system is full (" + msg + ")"));
    }
    return new LayerUnavailableException(where() + ": " + what + ": " + e, e);
  }

  private static void awaitQuietly(ScheduledExecutorService s) {
    try {
      if (!s.awaitTermination(30, TimeUnit.SECONDS)) {
        s.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
