package io.stratacache.soak;

import io.stratacache.core.ArtifactId;
import io.stratacache.engine.StorageEngine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs {@link SoakWorker}s over one engine for a given time under a {@link Watchdog}, then stops
 * them and hands back their ledgers. The first failure of any thread (or a stall) stops the run.
 */
final class SoakRun {
  private final AtomicReference<AssertionError> failure = new AtomicReference<>();
  private volatile boolean stopping;
  final SoakWorker.Tally tally = new SoakWorker.Tally();

  boolean stopping() {
    return stopping;
  }

  /** Records the first failure and stops the run. */
  void fail(String where, Throwable cause) {
    if (failure.get() == null) {
      String threads = cause instanceof IllegalStateException && where.equals("watchdog") ? "" : "\nthreads when it failed:\n" + Watchdog.threadDump();
      failure.compareAndSet(null, new AssertionError(where + ": " + cause + threads, cause));
    }
    stopping = true;
  }

  /**
   * Runs {@code threads} workers, each owning {@code idsPerThread} artifacts, for {@code length};
   * returns every ledger once all have stopped.
   *
   * @throws AssertionError the first failure, or a stall with a thread dump
   */
  List<Ledger> run(StorageEngine engine, int threads, int idsPerThread, long seed, Duration length, Duration stall)
      throws InterruptedException {
    ArtifactId[] all = new ArtifactId[threads * idsPerThread];
    for (int i = 0; i < all.length; i++) {
      all[i] = ArtifactId.of("soak", "t" + i / idsPerThread + "-a" + i % idsPerThread);
    }
    AtomicLongArray attempted = new AtomicLongArray(all.length);
    List<SoakWorker> workers = new ArrayList<>();
    List<Thread> running = new ArrayList<>();
    try (Watchdog _ = new Watchdog(tally.ops, stall, dump -> fail("watchdog", new IllegalStateException(dump)))) {
      for (int t = 0; t < threads; t++) {
        SoakWorker w = new SoakWorker(this, engine, all, attempted, t * idsPerThread, idsPerThread, seed + 0x9E3779B97F4A7C15L * (t + 1), tally);
        workers.add(w);
        running.add(Thread.ofPlatform().name("soak-" + t).daemon(true).start(w));
      }
      long end = System.nanoTime() + length.toNanos();
      while (!stopping && System.nanoTime() < end) {
        Thread.sleep(50);
      }
      stopping = true;
      long joinBy = System.nanoTime() + stall.toNanos();
      for (Thread t : running) {
        long left = joinBy - System.nanoTime();
        if (left <= 0 || !t.join(Duration.ofNanos(left))) {
          fail("stopping", new IllegalStateException(t.getName() + " did not stop; threads:\n" + Watchdog.threadDump()));
          break;
        }
      }
    }
    AssertionError e = failure.get();
    if (e != null) {
      throw e;
    }
    List<Ledger> ledgers = new ArrayList<>();
    for (SoakWorker w : workers) {
      ledgers.addAll(List.of(w.ledgers()));
    }
    return ledgers;
  }
}
