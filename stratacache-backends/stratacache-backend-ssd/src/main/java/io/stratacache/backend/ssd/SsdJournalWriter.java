package io.stratacache.backend.ssd;

import java.io.IOException;

/**
 * A running {@link SsdLayer}'s side of its {@linkplain SsdIndexJournal persisted index}: the
 * appends that {@link SsdIndex} makes as it changes, the compaction they make due, the rewrite a
 * repair asks for, and the clean close. The journal is on from open unless it could not be written
 * there; a failed append or compaction turns it off and deletes it, so that the next open reads
 * every record header instead of trusting an index that misses changes.
 *
 * <p>Appends are made under the id's stripe write lock, never under the state lock (see {@link
 * SsdIndex} for the lock order); the journal's own monitor orders them. Turning the journal off
 * synchronizes with the layer's closing on {@link SsdIndex#closeLock}: once the layer is closed it
 * stays on, for {@link #close()} to close it.
 */
final class SsdJournalWriter {
  private static final System.Logger LOG = System.getLogger(SsdLayer.class.getName());

  private final SsdIndex index;
  private final SsdPaths paths;
  private final SsdConfig config;
  private final String where;
  private SsdIndexJournal journal;
  private volatile boolean on;

  /** One append to the journal. */
  interface Append {
    /** Appends; returns whether a compaction is due. */
    boolean write(SsdIndexJournal j) throws IOException;
  }

  /**
   * @param index whose snapshot a compaction writes
   * @param where the layer as log lines name it
   */
  SsdJournalWriter(SsdIndex index, SsdPaths paths, SsdConfig config, String where) {
    this.index = index;
    this.paths = paths;
    this.config = config;
    this.where = where;
  }

  /** Appends to {@code opened} from now on; null if the open could not write the journal. */
  void start(SsdIndexJournal opened) {
    this.journal = opened;
    this.on = opened != null;
  }

  /**
   * Appends to the journal if it is on, and compacts it if that made a compaction due. A failure
   * turns the journal off and deletes it.
   *
   * @return whether the append was made
   */
  boolean append(Append w) {
    if (!on) {
      return false;
    }
    boolean compact;
    try {
      compact = w.write(journal);
    } catch (IOException e) {
      failed(e);
      return false;
    }
    if (compact) {
      try {
        journal.compactIfDue(index::snapshot);
      } catch (IOException e) {
        failed(e);
      }
    }
    return true;
  }

  private void failed(IOException e) {
    synchronized (index.closeLock) {
      if (index.isClosed() || !on) {
        return;
      }
      on = false;
    }
    LOG.log(System.Logger.Level.WARNING, where + ": cannot write the index " + paths.journalFile() + " (" + e
        + "); it is deleted and the next open reads every record header");
    SsdRecordFiles.deleteQuietly(paths.journalFile());
  }

  /** Rewrites the journal as a snapshot of the index, creating it (and turning it on) if it is off. */
  void rewrite() throws IOException {
    if (on) {
      journal.compact(index.snapshot());
    } else {
      journal = SsdIndexJournal.create(
          paths.journalFile(), index.snapshot(), config.fsync() != FsyncPolicy.NEVER, config.access());
      on = true;
    }
  }

  /**
   * Closes the journal if it is on, recording the leaf directories' modification times so that
   * the next open need not list those unchanged. A failure is logged.
   */
  void close() {
    if (on) {
      try {
        journal.close(SsdRecovery.leafMtimes(paths));
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, where + ": cannot close the index " + paths.journalFile(), e);
      }
    }
  }
}
