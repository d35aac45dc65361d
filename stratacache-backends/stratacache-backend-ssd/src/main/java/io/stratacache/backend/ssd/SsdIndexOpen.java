package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.spi.EvictionPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Builds an {@link SsdLayer}'s index when it opens: replays the {@linkplain SsdIndexJournal
 * journal} (or starts empty when it cannot be trusted), checks it against the directory with
 * {@link SsdRecovery} (leaf directories unchanged since a clean close are not listed), reads the
 * headers of the records the journal does not know or whose store it saw begin but not end, and
 * opens the journal for appends (rewritten first when anything had to be corrected or it had grown
 * past twice the live entries). What it corrected goes to the layer's findings for {@link
 * SsdLayer#check}. Runs under the layer's state lock, before any other thread sees the layer.
 */
final class SsdIndexOpen {
  private static final System.Logger LOG = System.getLogger(SsdLayer.class.getName());

  private SsdIndexOpen() {}

  /**
   * What an open found.
   *
   * @param journal the journal to append to, or null if it could not be written
   */
  record Opened(int artifacts, int tempFiles, String fallback, SsdIndexJournal journal) {}

  /**
   * Builds the index: replays the journal (or, when it cannot be trusted, starts empty), checks it
   * against the directory, reads the headers of the records it does not know, and appends to the
   * journal from then on (rewritten first if anything had to be corrected or it is due for a
   * compaction). Runs in the constructor, before any other thread sees the layer.
   */
  static Opened loadLocked(
      SsdPaths paths, SsdConfig config, String where, long now, Map<ArtifactId, SsdEntry> index,
      EvictionPolicy policy, SsdSpace space, SsdRecordFiles files, List<String> foundAtOpen) {
    SsdIndexJournal journal = null;
    long wallNow = System.currentTimeMillis();
    Set<ArtifactId> intents = new HashSet<>();
    String fallback = null;
    boolean journalExisted = Files.exists(paths.journalFile());
    SsdIndexJournal.Replayed replayed = null;
    int adjusted = 0;
    {
      try {
        replayed = SsdIndexJournal.replay(paths.journalFile(), new SsdIndexJournal.Sink() {
          @Override
          public void put(ArtifactId id, long nameKey, long size, int payloadOffset, int payloadCrc, long millis) {
            SsdEntry e = new SsdEntry(id, nameKey, size, payloadOffset, payloadCrc, now - ageNanos(wallNow, millis));
            index.put(id, e);
            policy.onInsert(id, size);
            intents.remove(id);
          }

          @Override
          public void remove(ArtifactId id) {
            if (index.remove(id) != null) {
              policy.onRemove(id);
            }
            intents.remove(id);
          }

          @Override
          public void intent(ArtifactId id) {
            intents.add(id);
          }
        });
      } catch (SsdIndexJournal.Untrusted | IOException x) {
        fallback = x instanceof SsdIndexJournal.Untrusted ? x.getMessage() : "index " + paths.journalFile() + ": " + x;
        for (ArtifactId id : index.keySet()) {
          policy.onRemove(id);
        }
        index.clear();
        intents.clear();
      }
      // stores that logged their intent but not their record: read what the file holds
      for (ArtifactId id : intents) {
        if (index.remove(id) != null) {
          policy.onRemove(id);
        }
        adjusted++;
      }
      long[] keys = new long[index.size()];
      int n = 0;
      for (SsdEntry e : index.values()) {
        keys[n++] = e.nameKey;
      }
      java.util.Arrays.sort(keys);
      int distinct = 0;
      for (int i = 0; i < n; i++) {
        boolean dup = (i > 0 && keys[i - 1] == keys[i]) || (i + 1 < n && keys[i + 1] == keys[i]);
        if (!dup) {
          keys[distinct++] = keys[i];
        }
      }
      if (distinct < n) { // two ids whose names share 16 hex digits: read both headers
        keys = java.util.Arrays.copyOf(keys, distinct);
        int dups = dropLocked(index, policy, keys, null, null);
        adjusted += dups;
        foundAtOpen.add("index: " + dups + " index entries shared a name prefix; read from their headers at open");
      }
      // a leaf directory unchanged since a clean close holds exactly the names the journal has
      boolean[] unchanged = new boolean[256];
      if (replayed != null && replayed.dirMtimes() != null && intents.isEmpty()) {
        long[] mtimes = SsdRecovery.leafMtimes(paths);
        for (int i = 0; i < 256; i++) {
          unchanged[i] = mtimes[i] != -1 && mtimes[i] == replayed.dirMtimes()[i];
        }
      }
      boolean[] seen = new boolean[keys.length];
      long corruptBefore = files.corrupt();
      SsdRecovery.Result found = SsdRecovery.scan(paths, keys, seen, unchanged, files::quarantineFile);
      files.knownLeafDirs(found.leafDirs());
      int gone = dropLocked(index, policy, keys, seen, unchanged);
      adjusted += gone;
      if (gone > 0) {
        foundAtOpen.add("index: " + gone + " index entries named record files that were gone; dropped at open");
      }
      if (files.corrupt() > corruptBefore) {
        foundAtOpen.add("corrupt: " + (files.corrupt() - corruptBefore) + " invalid record files; quarantined at open");
      }
      if (found.tempFilesRemoved() > 0) {
        foundAtOpen.add("orphan: " + found.tempFilesRemoved() + " temporary files of unfinished stores; removed at open");
      }
      List<SsdRecovery.Found> unknown = new ArrayList<>(found.records());
      unknown.sort(Comparator.comparingLong(SsdRecovery.Found::mtimeMillis));
      for (SsdRecovery.Found f : unknown) {
        SsdEntry e = new SsdEntry(f.id(), f.nameKey(), f.size(), f.payloadOffset(), f.payloadCrc(),
            now - ageNanos(wallNow, f.mtimeMillis()));
        index.put(e.id, e);
        policy.onInsert(e.id, e.size);
      }
      for (SsdEntry e : index.values()) {
        space.addedLocked(e.size, 0);
      }
      if (fallback != null && (journalExisted || !unknown.isEmpty())) {
        LOG.log(journalExisted ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
            where + ": " + fallback + "; read the headers of all " + unknown.size() + " records instead");
      }
      adjusted += unknown.size();
      if (fallback != null && (journalExisted || !unknown.isEmpty())) {
        foundAtOpen.add("index: " + fallback + "; rebuilt from the record headers at open");
      } else if (fallback == null && unknown.size() > intents.size()) {
        foundAtOpen.add("index: " + (unknown.size() - intents.size()) + " record files were not in the index; read from their"
            + " headers at open");
      }
      boolean force = config.fsync() != FsyncPolicy.NEVER;
      try {
        if (fallback == null && adjusted == 0 && !SsdIndexJournal.worthCompacting(replayed.records(), index.size())) {
          journal = SsdIndexJournal.reopen(
              paths.journalFile(), replayed.end(), index.size(), replayed.records(), force, config.access());
        } else {
          journal = SsdIndexJournal.create(paths.journalFile(), snapshotLocked(index, policy, now), force, config.access());
        }
      } catch (IOException x) {
        LOG.log(System.Logger.Level.WARNING, where + ": cannot write the index " + paths.journalFile() + " (" + x
            + "); the next open reads every record header");
        SsdRecordFiles.deleteQuietly(paths.journalFile());
      }
      return new Opened(index.size(), found.tempFilesRemoved(), fallback, journal);
    }
  }

  /**
   * Drops the entries whose name key is not in {@code keys}, or whose key was not {@code seen} in
   * a leaf directory not known {@code unchanged} (null: every key counts as seen); returns how
   * many. Under the state lock, at open.
   */
  private static int dropLocked(
      Map<ArtifactId, SsdEntry> index, EvictionPolicy policy, long[] keys, boolean[] seen, boolean[] unchanged) {
    int dropped = 0;
    for (java.util.Iterator<SsdEntry> it = index.values().iterator(); it.hasNext(); ) {
      SsdEntry e = it.next();
      int i = java.util.Arrays.binarySearch(keys, e.nameKey);
      if (i < 0 || (seen != null && !seen[i] && !unchanged[(int) (e.nameKey >>> 56)])) {
        it.remove();
        policy.onRemove(e.id);
        dropped++;
      }
    }
    return dropped;
  }

  private static long ageNanos(long wallNow, long millis) {
    return TimeUnit.MILLISECONDS.toNanos(Math.max(0, wallNow - millis));
  }

  /** The live entries in eviction order, as the journal writes them; under the state lock. */
  static List<SsdIndexJournal.Live> snapshotLocked(
      Map<ArtifactId, SsdEntry> index, EvictionPolicy policy, long now) {
    long wallNow = System.currentTimeMillis();
    List<SsdIndexJournal.Live> out = new ArrayList<>(index.size());
    for (java.util.Iterator<ArtifactId> it = policy.victims(); it.hasNext(); ) {
      SsdEntry e = index.get(it.next());
      if (e != null) {
        out.add(live(e, now, wallNow));
      }
    }
    return out;
  }

  static SsdIndexJournal.Live live(SsdEntry e, long now, long wallNow) {
    return new SsdIndexJournal.Live(
        e.id, e.nameKey, e.size, e.payloadOffset, e.payloadCrc, wallNow - TimeUnit.NANOSECONDS.toMillis(now - e.lastAccess));
  }

}
