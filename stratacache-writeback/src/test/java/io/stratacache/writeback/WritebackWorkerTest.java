package io.stratacache.writeback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.StrataCacheException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class WritebackWorkerTest {
  private static final WritebackConfig FAST = WritebackConfig.builder()
      .flushInterval(Duration.ofMillis(1)).retryBackoffMin(Duration.ofMillis(1)).retryBackoffMax(Duration.ofMillis(8))
      .closeTimeout(Duration.ofSeconds(5)).maxDirtyBytes(1 << 20).build();
  private static final WritebackConfig QUICK_CLOSE = FAST.toBuilder()
      .retryBackoffMax(Duration.ofMillis(2)).closeTimeout(Duration.ofMillis(30)).build();

  private static ArtifactId id(int i) {
    return ArtifactId.of("wb", "a" + i);
  }

  /** A lower tier that fails the first {@code failures} writes of each id. */
  private static final class FlakyLower {
    final Map<ArtifactId, AtomicInteger> attempts = new ConcurrentHashMap<>();
    final Set<ArtifactId> written = ConcurrentHashMap.newKeySet();
    final int failures;
    final DirtySet dirty;

    FlakyLower(int failures, DirtySet dirty) {
      this.failures = failures;
      this.dirty = dirty;
    }

    void flush(ArtifactId id) throws IOException {
      if (!dirty.contains(id)) {
        return;
      }
      if (attempts.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet() <= failures) {
        throw new IOException("injected failure writing " + id);
      }
      written.add(id);
      dirty.clear(id);
    }
  }

  @Test
  void failedFlushes_areRetriedWithBackoff_andCounted_andTheWorkerSurvives() {
    DirtySet dirty = new DirtySet("a->b");
    FlakyLower lower = new FlakyLower(3, dirty);
    List<String> reported = new CopyOnWriteArrayList<>();
    WritebackWorker worker = new WritebackWorker("t", FAST, (link, id, n, e) -> reported.add(link + " " + id + " " + n));
    worker.register(dirty, lower::flush);
    worker.start();
    try {
      for (int i = 0; i < 20; i++) {
        dirty.mark(id(i), 100);
      }
      worker.wake();
      worker.flush();
      assertTrue(dirty.isEmpty());
      assertEquals(20, lower.written.size());
      assertEquals(60, worker.errorCount(), "three failures per artifact");
      assertEquals(60, reported.size());
      assertTrue(reported.contains("a->b " + id(0) + " 3"), "failures are numbered per artifact: " + reported);
      // the worker is still alive and flushes new work by itself
      dirty.mark(id(100), 10);
      lower.attempts.put(id(100), new AtomicInteger(3));
      worker.wake();
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (!dirty.isEmpty() && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertTrue(lower.written.contains(id(100)), "the worker stopped after failures");
    } finally {
      assertTrue(worker.closeAndReport().complete());
    }
  }

  @Test
  void theWorkerAndADrainNeverAttemptOneVersionAtOnce_soFailuresAreNumberedInOrder() {
    DirtySet dirty = new DirtySet("a->b");
    Set<ArtifactId> inFlight = ConcurrentHashMap.newKeySet();
    List<ArtifactId> overlaps = new CopyOnWriteArrayList<>();
    Map<ArtifactId, AtomicInteger> attempts = new ConcurrentHashMap<>();
    List<Integer> numbers = new CopyOnWriteArrayList<>();
    Flusher slowFlaky = id -> {
      if (!inFlight.add(id)) {
        overlaps.add(id);
      }
      try {
        LockSupport.parkNanos(200_000); // long enough for the other thread to pick the same artifact
        if (attempts.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet() <= 3) {
          throw new IOException("injected failure writing " + id);
        }
        dirty.clear(id);
      } finally {
        inFlight.remove(id);
      }
    };
    WritebackConfig eager = FAST.toBuilder().retryBackoffMin(Duration.ofNanos(1)).retryBackoffMax(Duration.ofNanos(1)).build();
    WritebackWorker worker = new WritebackWorker("t", eager, (link, id, n, e) -> numbers.add(n));
    worker.register(dirty, slowFlaky);
    worker.start();
    try {
      for (int i = 0; i < 20; i++) {
        dirty.mark(id(i), 100);
      }
      worker.wake();
      worker.flush();
      assertEquals(List.of(), overlaps, "versions attempted by two threads at once");
      assertEquals(60, numbers.size());
      for (int n = 1; n <= 3; n++) {
        int number = n;
        assertEquals(20, numbers.stream().filter(k -> k == number).count(), "failure number " + n + " in " + numbers);
      }
    } finally {
      assertTrue(worker.closeAndReport().complete());
    }
  }

  @Test
  void drain_givesUpAtTheDeadline_andNamesWhatIsLeft() {
    DirtySet dirty = new DirtySet("a->b");
    FlakyLower lower = new FlakyLower(Integer.MAX_VALUE, dirty);
    WritebackWorker worker = new WritebackWorker("t", QUICK_CLOSE, (link, id, n, e) -> {});
    worker.register(dirty, lower::flush);
    dirty.mark(id(1), 10);
    dirty.mark(id(2), 10);
    WritebackReport r = worker.drain(Duration.ofMillis(50).toNanos());
    assertFalse(r.complete());
    assertEquals(Set.of(id(1), id(2)), Set.copyOf(r.unflushed()));
    assertTrue(r.errors() >= 2);
    String message = WritebackWorker.describeIncomplete(r, "close");
    assertTrue(message.contains("2 dirty artifacts") && message.contains(id(1).value()), message);
    assertEquals(2, worker.closeAndReport().unflushed().size(), "close reports what stayed dirty");
  }

  @Test
  void drain_upToAStamp_leavesLaterStoresAlone_andCountsOnlyItsOwnAttempts() {
    DirtySet dirty = new DirtySet("a->b");
    FlakyLower lower = new FlakyLower(Integer.MAX_VALUE, dirty);
    WritebackWorker worker = new WritebackWorker("t", QUICK_CLOSE, (link, id, n, e) -> {});
    worker.register(dirty, lower::flush);
    dirty.mark(id(1), 10);
    assertFalse(worker.drain(Duration.ofMillis(20).toNanos()).complete());
    long stamp = DirtySet.currentStamp();
    dirty.mark(id(2), 10); // stored after the flush below was called
    int before = lower.attempts.get(id(1)).get();
    WritebackReport r = worker.drain(Duration.ofMillis(20).toNanos(), stamp);
    assertEquals(List.of(id(1)), r.unflushed());
    assertEquals(1, r.dirty());
    assertEquals(lower.attempts.get(id(1)).get() - before, r.errors(), "attempts of this drain only");
    assertFalse(lower.attempts.containsKey(id(2)), "a later store is not this drain's work");
    assertEquals(2, worker.closeAndReport().unflushed().size());
  }

  /**
   * A store takes its stamp under the artifact's lock and marks its version a little later; a
   * flush called in between may finish before the mark. Such a flush has flushed everything that
   * was dirty while it ran and must report success: it failed once in a soak because the drain
   * looked twice, once to stop and once to report.
   */
  @Test
  void flush_racingStoresThatMarkLate_succeedsWithoutWaitingForThem() throws InterruptedException {
    DirtySet dirty = new DirtySet("a->b");
    FlakyLower lower = new FlakyLower(0, dirty);
    WritebackWorker worker = new WritebackWorker("t", FAST, (link, id, n, e) -> {});
    worker.register(dirty, lower::flush);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread writer = Thread.ofPlatform().name("late-marker").start(() -> {
      for (int i = 0; !stop.get(); i++) {
        long stamp = DirtySet.nextStamp(); // taken "under the lock", before the put
        Thread.onSpinWait();
        dirty.mark(id(i & 63), 10, 0, stamp);
      }
    });
    try {
      long end = System.nanoTime() + Duration.ofMillis(1500).toNanos();
      int flushes = 0;
      while (System.nanoTime() < end) {
        worker.flush(); // throws if it reports a version marked after it decided it was done
        flushes++;
      }
      assertTrue(flushes > 0);
    } finally {
      stop.set(true);
      writer.join();
      worker.closeAndReport();
    }
  }

  @Test
  void markIfRoom_takesRoomAtomically_andCountsAReplacedVersion() {
    DirtySet dirty = new DirtySet("x");
    assertTrue(dirty.markIfRoom(id(1), 6_000, 0, DirtySet.nextStamp(), 10_000));
    assertTrue(dirty.markIfRoom(id(1), 9_000, 0, DirtySet.nextStamp(), 10_000), "replaces its own 6,000 bytes");
    assertFalse(dirty.markIfRoom(id(2), 2_000, 0, DirtySet.nextStamp(), 10_000));
    assertEquals(9_000, dirty.bytes());
    assertTrue(dirty.markIfRoom(id(1), 1_000, 0, DirtySet.nextStamp(), 10_000));
    assertEquals(1_000, dirty.bytes());
    assertEquals(1_000, dirty.sizeOf(id(1)));
  }

  @Test
  void flush_throwsNamingWhatStayedDirty() {
    DirtySet dirty = new DirtySet("a->b");
    FlakyLower lower = new FlakyLower(Integer.MAX_VALUE, dirty);
    WritebackWorker worker = new WritebackWorker("t", QUICK_CLOSE, (link, id, n, e) -> {});
    worker.register(dirty, lower::flush);
    dirty.mark(id(7), 10);
    StrataCacheException e = assertThrows(StrataCacheException.class, worker::flush);
    assertTrue(e.getMessage().contains(id(7).value()), e.getMessage());
    worker.close();
  }

  @Test
  void aThrowingErrorHandler_doesNotStopTheWorker() {
    DirtySet dirty = new DirtySet("a->b");
    FlakyLower lower = new FlakyLower(1, dirty);
    WritebackWorker worker = new WritebackWorker("t", FAST, (link, id, n, e) -> {
      throw new IllegalStateException("handler bug");
    });
    worker.register(dirty, lower::flush);
    dirty.mark(id(1), 10);
    worker.flush();
    assertTrue(lower.written.contains(id(1)));
    worker.close();
  }

  @Test
  void dirtySet_tracksBytes_andRemarkingReplacesTheSize() throws InterruptedException {
    DirtySet dirty = new DirtySet("x");
    dirty.mark(id(1), 100);
    dirty.mark(id(2), 50);
    dirty.mark(id(1), 10);
    assertEquals(60, dirty.bytes());
    assertEquals(2, dirty.size());
    assertTrue(dirty.clear(id(1)));
    assertFalse(dirty.clear(id(1)));
    assertEquals(50, dirty.bytes());
    assertFalse(dirty.awaitBytesAtMost(10, Duration.ofMillis(5).toNanos()));
    Thread t = Thread.ofPlatform().start(() -> {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      dirty.clear(id(2));
    });
    assertTrue(dirty.awaitBytesAtMost(10, Duration.ofSeconds(5).toNanos()), "a waiter is woken when bytes drop");
    t.join();
  }
}
