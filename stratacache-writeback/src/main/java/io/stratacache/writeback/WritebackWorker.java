package io.stratacache.writeback;

import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.StrataCacheException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The background agent that drains the {@link DirtySet}s of every write-back link.
 *
 * <p>Design: an {@link AgentRunner} (its own, or one the engine shares with its other background
 * agents) runs {@link #doWork()} in a loop; {@code doWork} flushes the entries that are due and
 * returns how many it flushed; when no agent did anything the thread parks for the configured
 * interval (or until {@link #wake()}). A failed flush is counted, reported to
 * the {@link FlushErrorHandler}, and retried after an exponential back-off (doubling from {@code
 * retry_backoff_min} to {@code retry_backoff_max}); nothing a flusher throws stops the thread.
 * {@link #drain} lets a caller flush everything now, in its own thread, ignoring back-off, until
 * nothing is dirty or a deadline passes. The caller and the worker never attempt the same dirty
 * version at once: each attempt claims it first, and an attempt that finds it claimed leaves it to
 * the thread that holds it.
 */
public final class WritebackWorker implements Agent, AutoCloseable {
  private static final int BATCH = 256;

  private record Link(DirtySet dirty, Flusher flusher) {}

  private final String name;
  private final WritebackConfig config;
  private final FlushErrorHandler errorHandler;
  private final List<Link> links = new CopyOnWriteArrayList<>();
  private final AtomicLong flushed = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AgentRunner runner;
  private final boolean ownsRunner;
  private volatile boolean running = true;

  /** A worker called {@code name} on a runner of its own; {@link #start()} starts its thread. */
  public WritebackWorker(String name, WritebackConfig config, FlushErrorHandler errorHandler) {
    this(name, config, errorHandler, new AgentRunner("stratacache-writeback-" + name, idleNanos(config)), true);
  }

  /**
   * A worker called {@code name} run by {@code runner}, which its owner starts and closes (after
   * closing this worker).
   */
  public WritebackWorker(String name, WritebackConfig config, FlushErrorHandler errorHandler, AgentRunner runner) {
    this(name, config, errorHandler, Objects.requireNonNull(runner, "runner"), false);
  }

  private WritebackWorker(String name, WritebackConfig config, FlushErrorHandler errorHandler, AgentRunner runner, boolean owns) {
    this.name = Objects.requireNonNull(name, "name");
    this.config = Objects.requireNonNull(config, "config");
    this.errorHandler = Objects.requireNonNull(errorHandler, "errorHandler");
    this.runner = runner;
    this.ownsRunner = owns;
    runner.add(this);
  }

  /** The idle period of a runner that runs a worker with {@code config}. */
  public static long idleNanos(WritebackConfig config) {
    return Math.min(config.flushInterval().toNanos(), config.retryBackoffMin().toNanos());
  }

  @Override
  public String roleName() {
    return "writeback " + name;
  }

  /** Adds a link: {@code flusher} drains {@code dirty}. */
  public void register(DirtySet dirty, Flusher flusher) {
    links.add(new Link(dirty, flusher));
  }

  /** Starts the background thread of a worker on its own runner; a shared runner is started by its owner. */
  public void start() {
    if (ownsRunner) {
      runner.start();
    }
  }

  /** Makes the worker look for work now. */
  public void wake() {
    runner.wake();
  }

  /**
   * One pass over every link: flushes the entries that are due. Returns how many it flushed; 0
   * once closed.
   */
  @Override
  public int doWork() {
    return running ? pass(false, Long.MAX_VALUE, null) : 0;
  }

  /**
   * Flushes the due entries stamped at most {@code maxStamp}, counting into {@code tally} (if
   * given) what this pass flushed and how many attempts failed. Returns how many it flushed.
   */
  private int pass(boolean ignoreBackoff, long maxStamp, long[] tally) {
    int done = 0;
    long now = System.nanoTime();
    for (Link link : links) {
      // writers wait for dirty bytes to drop: do not hold artifacts back for coalescing
      boolean pressing = link.dirty().hasWaiters();
      for (ArtifactId id : link.dirty().due(now, ignoreBackoff, pressing, BATCH, maxStamp)) {
        DirtySet.Entry entry = link.dirty().claim(id);
        if (entry == null) {
          continue; // flushed meanwhile, or another thread is attempting it
        }
        try {
          if (flushOne(link, id, entry)) {
            done++;
          } else if (tally != null) {
            tally[1]++;
          }
        } finally {
          DirtySet.release(entry);
        }
      }
    }
    if (tally != null) {
      tally[0] += done;
    }
    return done;
  }

  private boolean flushOne(Link link, ArtifactId id, DirtySet.Entry entry) {
    FlushEvent event = new FlushEvent();
    event.begin();
    try {
      link.flusher().flush(id);
      flushed.incrementAndGet();
      if (event.shouldCommit()) {
        event.link = link.dirty().name();
        event.id = id.value();
        event.succeeded = true;
        event.commit();
      }
      return true;
    } catch (Throwable t) {
      if (t instanceof VirtualMachineError vme) {
        throw vme;
      }
      errors.incrementAndGet();
      int failures = DirtySet.recordFailure(
          entry, System.nanoTime(), config.retryBackoffMin().toNanos(), config.retryBackoffMax().toNanos());
      if (event.shouldCommit()) {
        event.link = link.dirty().name();
        event.id = id.value();
        event.failures = failures;
        event.error = String.valueOf(t);
        event.commit();
      }
      try {
        errorHandler.onError(link.dirty().name(), id, failures, t);
      } catch (RuntimeException ignored) {
        // the handler's own failure must not stop the worker
      }
      return false;
    }
  }

  /** Whether nothing is dirty on any link. */
  public boolean isClean() {
    return !pending(Long.MAX_VALUE);
  }

  /** Whether some link holds a dirty version stamped at most {@code maxStamp}. */
  private boolean pending(long maxStamp) {
    for (Link link : links) {
      if (link.dirty().hasStampedAtMost(maxStamp)) {
        return true;
      }
    }
    return false;
  }

  private List<ArtifactId> pendingIds(long maxStamp) {
    List<ArtifactId> out = new ArrayList<>();
    for (Link link : links) {
      out.addAll(link.dirty().idsStampedAtMost(maxStamp));
    }
    return out;
  }

  /**
   * Flushes everything dirty now, in the calling thread, retrying failures, until nothing is
   * dirty or {@code timeoutNanos} pass. Links feed each other (a flush into a write-back tier
   * makes it dirty there), so it loops until every link is clean at once.
   */
  public WritebackReport drain(long timeoutNanos) {
    return drain(timeoutNanos, Long.MAX_VALUE);
  }

  /**
   * Flushes, in the calling thread and ignoring back-off, the dirty versions stamped at most
   * {@code maxStamp} (see {@link DirtySet}), following them down every link, until none is left
   * or {@code timeoutNanos} pass. Versions stored later are left to the worker. The report
   * counts this drain's flushes and failed attempts only.
   */
  public WritebackReport drain(long timeoutNanos, long maxStamp) {
    long deadline = System.nanoTime() + timeoutNanos;
    long pause = config.retryBackoffMin().toNanos();
    int atStart = pendingIds(maxStamp).size();
    long[] tally = new long[2];
    // One look decides both whether to go on and what is reported: a store that took its stamp
    // before this call may mark its version after the look that ended the loop, and a second look
    // would then report as unflushed a version that was not yet dirty when the drain finished.
    List<ArtifactId> unflushed = List.of();
    while (pending(maxStamp)) {
      int done = pass(true, maxStamp, tally);
      if (!pending(maxStamp)) {
        break;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        unflushed = pendingIds(maxStamp);
        break;
      }
      if (done == 0) {
        LockSupport.parkNanos(this, Math.min(left, Math.max(pause, TimeUnit.MICROSECONDS.toNanos(100))));
        pause = Math.min(pause * 2, config.retryBackoffMax().toNanos());
      }
    }
    return new WritebackReport(Math.max(atStart, unflushed.size()), tally[0], tally[1], unflushed);
  }

  /**
   * Flushes what is dirty when called: as {@link #drain(long, long)} with the configured close
   * time-out and the current stamp, throwing if any of it stays dirty. Artifacts stored while it
   * runs are neither waited for nor reported.
   *
   * @throws StrataCacheException naming what could not be flushed
   */
  public void flush() {
    WritebackReport r = drain(config.closeTimeout().toNanos(), DirtySet.currentStamp());
    if (!r.complete()) {
      throw new StrataCacheException(describeIncomplete(r, "flush"));
    }
  }

  /** What is dirty now, with the lifetime counters. */
  public WritebackReport report() {
    List<ArtifactId> left = pendingIds(Long.MAX_VALUE);
    return new WritebackReport(left.size(), flushed.get(), errors.get(), left);
  }

  /** Artifacts flushed so far. */
  public long flushedCount() {
    return flushed.get();
  }

  /** Failed flush attempts so far. */
  public long errorCount() {
    return errors.get();
  }

  /**
   * Drains (bounded by the configured close time-out), then stops: its own runner's thread, or its
   * work on a shared runner. Returns what could not be flushed; idempotent.
   */
  @Override
  public void close() {
    closeAndReport();
  }

  /** As {@link #close()}, returning the report. */
  public WritebackReport closeAndReport() {
    WritebackReport r = running ? drain(config.closeTimeout().toNanos()) : report();
    running = false;
    if (ownsRunner) {
      runner.close();
    }
    return r;
  }

  /** A message naming what a drain left dirty. */
  public static String describeIncomplete(WritebackReport r, String what) {
    List<ArtifactId> u = r.unflushed();
    return what + ": " + u.size() + " of " + r.dirty() + " dirty artifacts could not be written to the lower tier before the deadline ("
        + r.errors() + " failed attempts during this " + what + "): " + u.subList(0, Math.min(10, u.size())) + (u.size() > 10 ? " ..." : "");
  }
}
