package io.stratacache.tiering;

import io.stratacache.config.LinkMode;
import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.writeback.DirtySet;
import io.stratacache.writeback.WritebackWorker;

/**
 * Block back-pressure on the write-back links of a chain. A store that would take a link's dirty
 * bytes over {@code max_dirty_bytes} waits for the worker to make room <i>before</i> it takes the
 * artifact's lock, so that the worker, which needs that lock to flush the artifact, can always
 * make progress; the room is then checked again under the lock and, if another store took it
 * meanwhile, the wait starts over. At the close time-out the store goes ahead and the chain writes
 * it through instead of marking it dirty. A re-store counts only the growth over its own dirty
 * version.
 */
final class Backpressure {
  private final LinkMode[] links;
  private final DirtySet[] dirty;
  private final WritebackConfig config;
  private final WritebackWorker worker;
  private final KeyLocks locks;

  Backpressure(LinkMode[] links, DirtySet[] dirty, WritebackConfig config, WritebackWorker worker, KeyLocks locks) {
    this.links = links;
    this.dirty = dirty;
    this.config = config;
    this.worker = worker;
    this.locks = locks;
  }

  /**
   * Runs {@code body}, a store of {@code size} bytes at tier {@code index}, under {@code id}'s
   * lock, once the write-back link it will mark has room for it (under block back-pressure), or
   * at once.
   */
  void withRoom(int index, ArtifactId id, long size, Runnable body) {
    int j = markedLink(index);
    long limit = config.maxDirtyBytes();
    boolean block = j >= 0 && config.backpressure() == WritebackConfig.Backpressure.BLOCK && size <= limit;
    long deadline = System.nanoTime() + config.closeTimeout().toNanos();
    while (true) {
      if (block && !awaitRoom(j, id, size, deadline)) {
        block = false; // timed out: the chain writes through if there is still no room
      }
      try (KeyLocks.Held _ = locks.lock(id)) {
        if (!block || dirty[j].bytes() - dirty[j].sizeOf(id) + size <= limit) {
          body.run();
          return;
        }
      }
    }
  }

  /** The write-back link a store at tier {@code index} marks dirty, or -1 if every link below is write-through. */
  private int markedLink(int index) {
    for (int j = index; j < links.length; j++) {
      if (links[j] == LinkMode.WRITE_BACK) {
        return j;
      }
    }
    return -1;
  }

  /** Waits, holding no lock, until link {@code j} has room for {@code size} bytes of {@code id}; false at the deadline. */
  private boolean awaitRoom(int j, ArtifactId id, long size, long deadline) {
    long limit = config.maxDirtyBytes();
    while (true) {
      long target = limit - size + dirty[j].sizeOf(id);
      if (dirty[j].bytes() <= target) {
        return true;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      worker.wake();
      try {
        // bounded, so that a change in this artifact's own dirty bytes is seen
        dirty[j].awaitBytesAtMost(target, Math.min(left, config.retryBackoffMax().toNanos()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }
}
