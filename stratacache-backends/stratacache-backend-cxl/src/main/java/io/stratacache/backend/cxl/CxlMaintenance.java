package io.stratacache.backend.cxl;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The layer's one background thread, started on first use: it retires idle lease groups a few
 * milliseconds after they go idle (so that closing their arenas is off the callers' path) and runs
 * the expiry sweep every {@code cleanup_interval}. A task that fails is logged and the thread goes
 * on; closing the layer stops it.
 */
final class CxlMaintenance implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(CxlMaintenance.class.getName());

  private final String where;
  private final String threadName;
  private final AtomicBoolean idleSweepPending = new AtomicBoolean();
  private ScheduledExecutorService executor;
  private boolean closed;

  CxlMaintenance(String where, String threadName) {
    this.where = where;
    this.threadName = threadName;
  }

  private synchronized ScheduledExecutorService executor() {
    if (closed) {
      return null;
    }
    if (executor == null) {
      ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, threadName);
        t.setDaemon(true);
        return t;
      });
      e.setRemoveOnCancelPolicy(true);
      e.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
      executor = e;
    }
    return executor;
  }

  /**
   * Runs {@code sweep} once, {@code delayMillis} from now, unless a run is already pending; {@code
   * sweep} returns whether to run again.
   */
  void scheduleIdleSweep(long delayMillis, BooleanSupplier sweep) {
    if (!idleSweepPending.compareAndSet(false, true)) {
      return;
    }
    ScheduledExecutorService e = executor();
    if (e == null) {
      idleSweepPending.set(false);
      return;
    }
    try {
      e.schedule(() -> {
        idleSweepPending.set(false);
        if (guarded("idle lease groups", sweep)) {
          scheduleIdleSweep(delayMillis, sweep);
        }
      }, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      idleSweepPending.set(false);
    }
  }

  /** Runs {@code task} every {@code periodNanos}. */
  void every(long periodNanos, String what, Runnable task) {
    ScheduledExecutorService e = executor();
    if (e != null) {
      e.scheduleWithFixedDelay(() -> guarded(what, () -> {
        task.run();
        return false;
      }), periodNanos, periodNanos, TimeUnit.NANOSECONDS);
    }
  }

  private boolean guarded(String what, BooleanSupplier task) {
    try {
      return task.getAsBoolean();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, where + ": " + what + " failed; it runs again later", e);
      return false;
    }
  }

  /** Stops the thread; tasks not yet started are dropped. Idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
    if (executor != null) {
      executor.shutdownNow();
    }
  }
}
