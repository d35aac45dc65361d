package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CapacityException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.StrataCacheException;
import io.stratacache.spi.EvictionPolicy;
import io.stratacache.spi.RoomMaker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The in-memory index of an {@link SsdLayer} and the paths that change it: a store publishing its
 * record, delete, expiry, eviction, quarantine and repair, which share the stripe and state locks,
 * their lock order and the journal's append order. Loads ({@link SsdLoads}) take the same locks
 * through {@link #stripe} and {@link #state}. Also holds whether the layer is closed.
 *
 * <p><b>Index.</b> Memory holds id &rarr; {@link SsdEntry} (record size, payload offset and
 * checksum, last access, lease count; the file name is the id's hash, computed when needed). It is
 * persisted as it changes in {@link SsdIndexJournal} (appended through {@link SsdJournalWriter})
 * and replayed at open, then checked against a listing of the directory by {@link SsdRecovery}:
 * entries whose file is gone are dropped, files the journal does not know (or whose store it saw
 * begin but not end) have their headers read. Without a trusted journal (missing, damaged, or left
 * open by a machine that has restarted since) every header is read, which one log line says. The
 * journal is rewritten as a snapshot (compacted) at open when the directory corrected it or it had
 * grown past twice the live entries, and by a running layer when it has grown by its live size
 * plus {@value SsdIndexJournal#COMPACT_SLACK} records. A load checks the record's header, size and
 * stored checksum against its entry, so an entry that disagrees with its file is never served.
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
 * <p><b>Expiry.</b> With {@code kv_expire_time} &gt; 0 an entry that has gone that long without a
 * store or load, and is neither pinned, leased nor being evicted, is expired: every call that finds
 * it treats it as absent and removes it, as does {@link #removeExpired()}.
 */
final class SsdIndex {
  private static final int STRIPES = 256;
  private static final System.Logger LOG = System.getLogger(SsdLayer.class.getName());

  /** Guards the index, the policy, the byte accounting and the entries' mutable fields. */
  final ReentrantLock state = new ReentrantLock();
  private final Map<ArtifactId, SsdEntry> byId = new HashMap<>();
  private final EvictionPolicy policy;
  final SsdSpace space;
  final RoomMaker<SsdEntry> room;
  final SsdMappings mappings = new SsdMappings(state, e -> byId.get(e.id) == e && !this.closed);
  private final ReentrantReadWriteLock[] stripes = new ReentrantReadWriteLock[STRIPES];
  private final SsdPaths paths;
  private final SsdRecordFiles files;
  private final LongSupplier clock;
  private final long expireNanos;
  private final String where;
  private final SsdJournalWriter journal;
  private final LongAdder puts = new LongAdder();
  private final LongAdder expired = new LongAdder();
  private volatile boolean closed;
  /** Guards the change of {@link #closed} and the journal's being turned off. */
  final Object closeLock = new Object();

  /**
   * @param tier the tier's name, as the eviction listener is told it
   * @param where the layer as error messages name it
   * @param clock the nanosecond clock that last access and expiry read
   */
  SsdIndex(SsdConfig config, SsdPaths paths, SsdRecordFiles files, LongSupplier clock, String tier, String where) {
    this.paths = paths;
    this.files = files;
    this.clock = clock;
    this.where = where;
    this.expireNanos = config.expireAfter().toNanos();
    this.policy = EvictionPolicy.forName(config.evictionPolicy());
    SsdEviction eviction = new SsdEviction(this, paths, tier, where);
    this.space = new SsdSpace(
        state, byId, policy, config.capacityBytes(), where, eviction::offer, eviction::remove, this::ensureOpen);
    this.room = space.room;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new ReentrantReadWriteLock();
    }
    this.journal = new SsdJournalWriter(this, paths, config, where);
  }

  /**
   * Builds the index from the journal and the directory (see {@link SsdIndexOpen}) and appends to
   * the journal from then on; before any other thread sees the layer.
   *
   * @param foundAtOpen receives what the open found wrong and corrected
   */
  SsdIndexOpen.Opened load(SsdConfig config, List<String> foundAtOpen) {
    SsdIndexOpen.Opened opened;
    state.lock();
    try {
      opened = SsdIndexOpen.loadLocked(paths, config, where, clock.getAsLong(), byId, policy, space, files, foundAtOpen);
    } finally {
      state.unlock();
    }
    journal.start(opened.journal());
    return opened;
  }

  // ------------------------------------------------------------------------------------------
  // Lifecycle

  /** Throws if the layer is closed. */
  void ensureOpen() {
    if (closed) {
      throw new LayerUnavailableException(where + " is closed");
    }
  }

  boolean isClosed() {
    return closed;
  }

  /** Marks the layer closed; returns false if it already was. */
  boolean markClosed() {
    synchronized (closeLock) {
      if (closed) {
        return false;
      }
      closed = true;
      return true;
    }
  }

  /** Unmaps every mapping no lease uses (the layer closes). */
  void dropIdleMappings() {
    state.lock();
    try {
      mappings.dropAllIdleLocked();
    } finally {
      state.unlock();
    }
    mappings.drainUnmaps();
  }

  /** Closes the journal, recording the leaf directories as a clean close leaves them. */
  void closeJournal() {
    journal.close();
  }

  // ------------------------------------------------------------------------------------------
  // Reads

  /** The nanosecond clock's time. */
  long now() {
    return clock.getAsLong();
  }

  /** The lock that ties {@code id}'s file name to its entry. */
  ReentrantReadWriteLock stripe(ArtifactId id) {
    int h = id.hashCode();
    return stripes[(h ^ (h >>> 16)) & (STRIPES - 1)];
  }

  /** The entry of {@code id}, or null. */
  SsdEntry getLocked(ArtifactId id) {
    return byId.get(id);
  }

  /** A load leases {@code e} at {@code now}. */
  void leaseLocked(SsdEntry e, long now) {
    e.leases++;
    e.lastAccess = now;
    policy.onAccess(e.id);
  }

  /** The file of {@code e}'s record. */
  Path fileOf(SsdEntry e) {
    return paths.recordFile(e.id);
  }

  /** The file of {@code id}'s record if the index holds it, else null. */
  Path fileIfIndexed(ArtifactId id) {
    state.lock();
    try {
      SsdEntry e = byId.get(id);
      if (e == null) {
        return null;
      }
      return fileOf(e);
    } finally {
      state.unlock();
    }
  }

  /** Whether {@code id} is indexed and not expired; removes it if expired. */
  boolean contains(ArtifactId id) {
    SsdEntry e;
    state.lock();
    try {
      e = byId.get(id);
      if (e == null || !isExpiredLocked(e, clock.getAsLong())) {
        return e != null;
      }
    } finally {
      state.unlock();
    }
    expire(e);
    return false;
  }

  /** The ids indexed and not expired. */
  List<ArtifactId> ids() {
    state.lock();
    try {
      long now = clock.getAsLong();
      List<ArtifactId> out = new ArrayList<>(byId.size());
      for (SsdEntry e : byId.values()) {
        if (!isExpiredLocked(e, now)) {
          out.add(e.id);
        }
      }
      return out;
    } finally {
      state.unlock();
    }
  }

  /** What {@link SsdLayer#stats()} reads under the state lock. */
  record Counts(long usedBytes, long artifacts, long pinned) {}

  Counts counts() {
    state.lock();
    try {
      return new Counts(space.usedLocked(), byId.size(), room.pinnedLocked());
    } finally {
      state.unlock();
    }
  }

  /** Records published. */
  long puts() {
    return puts.sum();
  }

  /** Entries removed because they expired. */
  long expired() {
    return expired.sum();
  }

  /** A snapshot of the index's entries. */
  List<SsdEntry> entries() {
    state.lock();
    try {
      return new ArrayList<>(byId.values());
    } finally {
      state.unlock();
    }
  }

  /** The live entries in eviction order, as the journal writes them. */
  List<SsdIndexJournal.Live> snapshot() {
    state.lock();
    try {
      return SsdIndexOpen.snapshotLocked(byId, policy, clock.getAsLong());
    } finally {
      state.unlock();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Changes

  /**
   * Renames the record into place and indexes it, under the id's stripe lock: the journal gets the
   * intent before the rename and the entry after it (see {@link SsdIndexJournal}).
   *
   * @param reservation the bytes {@link SsdSpace#reserve} set aside for it
   * @throws LayerUnavailableException if the layer closed meanwhile
   */
  void publish(SsdEntry fresh, Path file, Path tmp, long reservation) throws IOException {
    ReentrantReadWriteLock.WriteLock w = stripe(fresh.id).writeLock();
    w.lock();
    try {
      journal.append(j -> {
        j.intent(fresh.id);
        return false;
      });
      if (closed) {
        journal.append(j -> {
          j.abandon(fresh.id);
          return false;
        });
        throw new LayerUnavailableException(where + " is closed");
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException | RuntimeException x) {
        journal.append(j -> {
          j.abandon(fresh.id);
          return false;
        });
        throw x;
      }
      state.lock();
      try {
        putLocked(fresh, reservation);
        puts.increment();
      } finally {
        state.unlock();
      }
      journalPut(fresh);
    } finally {
      w.unlock();
    }
  }

  /**
   * Indexes {@code fresh} in place of any entry of its id, for a reservation of {@code
   * reservation} bytes; the replaced entry's idle mapping is queued for unmapping.
   */
  private void putLocked(SsdEntry fresh, long reservation) {
    SsdEntry old = byId.put(fresh.id, fresh);
    space.addedLocked(fresh.size, reservation);
    if (old != null) {
      space.removedLocked(old.size);
      mappings.dropIdleLocked(old);
    }
    policy.onInsert(fresh.id, fresh.size);
  }

  /** Appends {@code fresh}'s entry to the journal; under its stripe's write lock. */
  private void journalPut(SsdEntry fresh) {
    long now = clock.getAsLong();
    journal.append(j -> j.put(SsdIndexOpen.live(fresh, now, System.currentTimeMillis())));
  }

  /** Removes {@code id} and deletes its file; returns whether it was indexed. */
  boolean delete(ArtifactId id) {
    return removeIfCurrent(id, null, e -> true, file -> {
      try {
        Files.deleteIfExists(file);
      } catch (IOException x) {
        throw failure("cannot delete " + file, x);
      }
    }) != null;
  }

  /**
   * Whether {@code e} has expired: not accessed for {@code kv_expire_time}, and neither leased,
   * pinned nor being evicted.
   */
  boolean isExpiredLocked(SsdEntry e, long now) {
    return expireNanos > 0 && e.leases == 0 && !room.isPinnedLocked(e.id) && !room.isEvictingLocked(e)
        && now - e.lastAccess >= expireNanos;
  }

  /** Removes every expired entry and its file. */
  void removeExpired() {
    List<SsdEntry> stale = new ArrayList<>();
    state.lock();
    try {
      long now = clock.getAsLong();
      for (SsdEntry e : byId.values()) {
        if (isExpiredLocked(e, now)) {
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

  /** Removes {@code e} and its file if it is current and still expired. */
  void expire(SsdEntry e) {
    if (removeIfCurrent(e.id, e, x -> isExpiredLocked(x, clock.getAsLong()), SsdRecordFiles::deleteQuietly) != null) {
      expired.increment();
    }
  }

  /** Drops {@code e} from the index if it is still current (its file is gone). */
  void forget(SsdEntry e, String why) {
    if (removeIfCurrent(e.id, e, x -> true, file -> { }) != null) {
      LOG.log(System.Logger.Level.WARNING, where + ": dropped " + e.id + ": " + why);
    }
  }

  /** Removes {@code e} from the index and moves its file to the quarantine, if it is current. */
  void quarantine(SsdEntry e, String reason) {
    if (removeIfCurrent(e.id, e, x -> true, file -> files.quarantineFile(file, reason)) == null) {
      files.countCorrupt();
    }
  }

  /** Removes an eviction victim and deletes its file if it is still removable. */
  boolean removeVictim(SsdEntry victim) {
    return removeIfCurrent(victim.id, victim, room::removableLocked, SsdRecordFiles::deleteQuietly) != null;
  }

  /**
   * Under {@code id}'s stripe write lock: if the index holds {@code expected} for {@code id} (or
   * anything, when {@code expected} is null) and {@code condition} accepts it under the state
   * lock, removes it from the index and passes its file to {@code fileAction}, still under the
   * stripe lock so that no newer file can take its name meanwhile.
   *
   * @return the entry removed, or {@code null}
   */
  private SsdEntry removeIfCurrent(
      ArtifactId id, SsdEntry expected, Predicate<SsdEntry> condition, Consumer<Path> fileAction) {
    ReentrantReadWriteLock.WriteLock w = stripe(id).writeLock();
    w.lock();
    try {
      SsdEntry e;
      state.lock();
      try {
        e = byId.get(id);
        if (e == null || (expected != null && e != expected) || !condition.test(e)) {
          return null;
        }
        removeLocked(e);
      } finally {
        state.unlock();
      }
      fileAction.accept(fileOf(e));
      journal.append(j -> j.remove(e.id));
      return e;
    } finally {
      w.unlock();
      mappings.drainUnmaps();
    }
  }

  private void removeLocked(SsdEntry e) {
    byId.remove(e.id);
    mappings.dropIdleLocked(e);
    space.removedLocked(e.size);
    policy.onRemove(e.id);
    room.unpinAllLocked(e.id);
  }

  // ------------------------------------------------------------------------------------------
  // Repair (see SsdCheck)

  /** Drops {@code e}, whose file is gone, if it is still current. */
  void dropMissing(SsdEntry e) {
    removeIfCurrent(e.id, e, x -> true, file -> { });
  }

  /** Quarantines {@code file}, dropping {@code e} (the entry with its name, or null) if current. */
  void quarantineFile(SsdEntry e, Path file, String reason) {
    if (e == null || !fileOf(e).equals(file)
        || removeIfCurrent(e.id, e, x -> true, f -> files.quarantineFile(f, reason)) == null) {
      files.quarantineFile(file, reason);
    }
  }

  /** Indexes a valid record found on disk, replacing any entry of its id. */
  void adopt(SsdRecovery.Found f) {
    SsdEntry fresh = new SsdEntry(f.id(), f.nameKey(), f.size(), f.payloadOffset(), f.payloadCrc(), clock.getAsLong());
    ReentrantReadWriteLock.WriteLock w = stripe(f.id()).writeLock();
    w.lock();
    try {
      state.lock();
      try {
        putLocked(fresh, 0);
      } finally {
        state.unlock();
      }
      journalPut(fresh);
    } finally {
      w.unlock();
      mappings.drainUnmaps();
    }
  }

  /** Rewrites the journal from the index. */
  void rewriteJournal() {
    try {
      journal.rewrite();
    } catch (IOException e) {
      throw failure("cannot rewrite the index " + paths.journalFile(), e);
    }
  }

  // ------------------------------------------------------------------------------------------

  /**
   * The error for an I/O failure while doing {@code what}: a full file system is a refused store
   * ({@link CapacityException}), anything else makes the layer unavailable.
   */
  StrataCacheException failure(String what, IOException e) {
    String msg = String.valueOf(e.getMessage());
    if (msg.contains("No space left on device")) {
      return room.refuse(new CapacityException(where + ": " + what + ": the file system is full (" + msg + ")"));
    }
    return new LayerUnavailableException(where + ": " + what + ": " + e, e);
  }
}
