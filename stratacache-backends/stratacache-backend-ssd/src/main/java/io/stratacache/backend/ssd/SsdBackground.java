package io.stratacache.backend.ssd;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * An {@link SsdLayer}'s daemon thread: under {@link FsyncPolicy#BATCH} it forces the stored files
 * every {@code fsync_interval_ms}, and with {@code kv_expire_time} &gt; 0 it removes expired
 * artifacts every {@code cleanup_interval}. There is no thread when neither applies. A task that
 * fails is logged and runs again at its next turn. Thread-safe.
 */
final class SsdBackground {
  private static final System.Logger LOG = System.getLogger(SsdLayer.class.getName());

  private final SsdIndex index;
  private final String where;
  /** The daemon thread's executor, or null when there is nothing to run. */
  private final ScheduledExecutorService executor;
  private final Object sweepMonitor = new Object();
  /** Sweeps completed; guarded by {@link #sweepMonitor}. */
  private long sweeps;

  /**
   * Starts the thread if there is anything to run.
   *
   * @param where the layer as log lines name it
   */
  SsdBackground(String tier, String where, SsdConfig config, SsdRecordFiles files, SsdIndex index) {
    this.index = index;
    this.where = where;
    boolean batch = config.fsync() == FsyncPolicy.BATCH;
    long expireNanos = config.expireAfter().toNanos();
    if (!batch && expireNanos == 0) {
      this.executor = null;
      return;
    }
    ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "stratacache-ssd-" + tier);
      t.setDaemon(true);
      return t;
    });
    if (batch) {
      long ms = config.fsyncInterval().toMillis();
      s.scheduleWithFixedDelay(() -> run("sync", files::syncUnsynced), ms, ms, TimeUnit.MILLISECONDS);
    }
    if (expireNanos > 0) {
      long ns = config.cleanupInterval().toNanos();
      s.scheduleWithFixedDelay(() -> run("expiry sweep", this::sweepExpired), ns, ns, TimeUnit.NANOSECONDS);
    }
    this.executor = s;
  }

  private void run(String what, Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, where + ": " + what + " failed; will retry", e);
    }
  }

  /** Removes every expired artifact; what the sweep runs. */
  void sweepExpired() {
    try {
      index.removeExpired();
    } finally {
      synchronized (sweepMonitor) {
        sweeps++;
        sweepMonitor.notifyAll();
      }
    }
  }

  /**
   * Waits until the sweep has completed a pass that began after this call.
   *
   * @return false if none did within {@code timeoutMillis}
   */
  boolean awaitSweep(long timeoutMillis) throws InterruptedException {
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

  /** Stops the thread, waiting up to 30 s for a task in progress. */
  void shutdown() {
    if (executor == null) {
      return;
    }
    executor.shutdown();
    try {
      if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
