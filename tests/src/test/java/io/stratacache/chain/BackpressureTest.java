package io.stratacache.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import io.stratacache.testkit.EngineInvariants;
import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Block back-pressure on a write-back link: a store waits for the worker to make room without
 * holding any lock the worker needs, so it returns as soon as there is room, and never after the
 * close time-out. The close time-out here (45 s) is far longer than the bound each test runs under
 * (20 s): a store that waited for it would fail the test, whatever the machine's speed.
 */
class BackpressureTest {
  private static final Duration NEVER_WAITED_FOR = Duration.ofSeconds(45);
  private static final Duration BOUND = Duration.ofSeconds(20);
  private static final long MAX_DIRTY = 10_000;
  private final ArtifactMeta meta = ArtifactMeta.of(ArtifactType.CUSTOM);

  private static StorageEngine engine() {
    return StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", "1MiB"))
        .tier("warm", "cpu", Map.of("capacity", "1MiB"))
        .link("hot", "warm", LinkMode.WRITE_BACK)
        .writeback(new WritebackConfig(Duration.ofHours(1), Duration.ofMillis(1), Duration.ofMillis(20),
            NEVER_WAITED_FOR, MAX_DIRTY, WritebackConfig.Backpressure.BLOCK))
        .build();
  }

  private static ArtifactId id(String name) {
    return ArtifactId.of("bp", name);
  }

  @Test
  void restoringADirtyArtifact_overTheDirtyLimit_returnsOnceTheWorkerMadeRoom() {
    try (StorageEngine engine = engine(); Arena arena = Arena.ofShared()) {
      ArtifactId x = id("x");
      ArtifactId y = id("y");
      assertTimeoutPreemptively(BOUND, () -> {
        engine.store(x, meta, Payloads.make(arena, x, 1, 6_000));
        engine.store(x, meta, Payloads.make(arena, x, 2, 6_000)); // replaces x's dirty bytes
        engine.store(y, meta, Payloads.make(arena, y, 1, 3_000));
        // 9,000 dirty; x again at 8,000 needs 11,000: the worker must write down x or y first
        engine.store(x, meta, Payloads.make(arena, x, 3, 8_000));
      });
      assertTrue(engine.stats().dirtyBytes() <= MAX_DIRTY, "dirty bytes " + engine.stats().dirtyBytes() + " over the limit");
      try (Lease l = engine.load(x)) {
        assertEquals(3, Payloads.verify(x, l.segment()));
      }
      engine.flush();
      try (Lease l = engine.tier("warm").load(x)) {
        assertEquals(3, Payloads.verify(x, l.segment()));
      }
      EngineInvariants.check(engine);
    }
  }

  @Test
  void manyWritersRestoringDirtyArtifacts_withLoadsDeletesAndFlushes_allProgress() {
    int writers = 4;
    int rounds = 40;
    try (StorageEngine engine = engine(); Arena arena = Arena.ofShared()) {
      ArtifactId cold = id("cold");
      engine.tier("warm").store(cold, meta, Payloads.make(arena, cold, 1, 2_000));
      ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
      try {
        assertTimeoutPreemptively(BOUND, () -> {
          List<Future<?>> tasks = new ArrayList<>();
          for (int w = 0; w < writers; w++) {
            ArtifactId mine = id("w" + w);
            tasks.add(pool.submit(() -> {
              for (int v = 1; v <= rounds; v++) {
                // each writer re-stores its own dirty artifact while the set is over its limit
                engine.store(mine, meta, Payloads.make(arena, mine, v, 3_000 + v * 10));
              }
              return null;
            }));
          }
          tasks.add(pool.submit(() -> {
            for (int i = 0; i < rounds; i++) {
              engine.tier("hot").delete(cold); // the next load misses the head and takes the artifact's lock
              try (Lease l = engine.load(cold)) {
                assertEquals(1, Payloads.verify(cold, l.segment()));
              }
              ArtifactId gone = id("gone" + i);
              engine.tier("warm").store(gone, meta, Payloads.make(arena, gone, 1, 100));
              assertTrue(engine.delete(gone));
            }
            return null;
          }));
          tasks.add(pool.submit(() -> {
            for (int i = 0; i < rounds / 4; i++) {
              engine.flush();
            }
            return null;
          }));
          for (Future<?> f : tasks) {
            f.get();
          }
        });
      } finally {
        pool.shutdownNow();
      }
      for (int w = 0; w < writers; w++) {
        try (Lease l = engine.load(id("w" + w))) {
          assertEquals(rounds, Payloads.verify(id("w" + w), l.segment()));
        }
      }
      EngineInvariants.check(engine);
    }
  }
}
