package io.stratacache.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.CapacityException;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import io.stratacache.testkit.EngineInvariants;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Several threads store, load and delete under capacity pressure (the head holds a fraction of
 * the working set). Every load must return exactly the bytes stored under that id; at the end
 * every artifact holds its last stored version. Seeded: {@code -Dtests.seed=N} reproduces a run.
 */
class ConcurrencyStressTest {
  private static final int THREADS = 4;
  private static final int IDS_PER_THREAD = 24;
  private static final int OPS_PER_THREAD = 4000;
  private static final int MAX_SIZE = 48 << 10;

  @ParameterizedTest
  @EnumSource(LinkMode.class)
  void mixedOperations_neverReturnWrongBytes(LinkMode mode) throws Exception {
    long seed = Long.getLong("tests.seed", System.nanoTime());
    try {
      run(mode, seed);
    } catch (Throwable t) {
      throw new AssertionError("stress test failed; reproduce with -Dtests.seed=" + seed + " (" + mode + ")", t);
    }
  }

  private void run(LinkMode mode, long seed) throws Exception {
    long workingSet = (long) THREADS * IDS_PER_THREAD * MAX_SIZE;
    ArtifactMeta meta = ArtifactMeta.of(ArtifactType.CUSTOM);
    AtomicLong loads = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    try (StorageEngine engine = StorageEngine.builder()
            .tier("hot", "cpu", Map.of("capacity", workingSet / 6))
            .tier("cold", "cpu", Map.of("capacity", workingSet + (4L << 20)))
            .link("hot", "cold", mode)
            .build()) {
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      List<Future<long[]>> results = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        final int thread = t;
        results.add(pool.submit(() -> {
          SplittableRandom r = new SplittableRandom(seed + thread);
          long[] last = new long[IDS_PER_THREAD]; // 0 = absent, else the version last stored
          long version = (long) thread << 40;
          try (Arena local = Arena.ofConfined()) {
            for (int op = 0; op < OPS_PER_THREAD; op++) {
              int roll = r.nextInt(100);
              if (roll < 45) {
                int k = r.nextInt(IDS_PER_THREAD);
                ArtifactId id = ArtifactId.of("stress", thread + "-" + k);
                int size = Payloads.HEADER + r.nextInt(MAX_SIZE - Payloads.HEADER);
                try {
                  engine.store(id, meta, Payloads.make(local, id, ++version, size));
                  last[k] = version;
                } catch (CapacityException e) {
                  refused.incrementAndGet(); // every byte busy for a moment: allowed, nothing stored
                }
              } else if (roll < 90) {
                ArtifactId id = ArtifactId.of("stress", r.nextInt(THREADS) + "-" + r.nextInt(IDS_PER_THREAD));
                try (Lease l = engine.tryLoad(id)) {
                  if (l != null) {
                    Payloads.verify(id, l.segment());
                    loads.incrementAndGet();
                  }
                }
              } else {
                int k = r.nextInt(IDS_PER_THREAD);
                engine.delete(ArtifactId.of("stress", thread + "-" + k));
                last[k] = 0;
              }
            }
          }
          return last;
        }));
      }
      pool.shutdown();
      assertTrue(pool.awaitTermination(2, TimeUnit.MINUTES), "stress threads did not finish");
      engine.flush();
      int present = 0;
      for (int t = 0; t < THREADS; t++) {
        long[] last = results.get(t).get();
        for (int k = 0; k < IDS_PER_THREAD; k++) {
          ArtifactId id = ArtifactId.of("stress", t + "-" + k);
          try (Lease l = engine.tryLoad(id)) {
            if (last[k] == 0) {
              assertNull(l, id + " was deleted last but is still loadable");
            } else {
              assertTrue(l != null, id + " v" + last[k] + " is lost");
              assertEquals(last[k], Payloads.verify(id, l.segment()), id + ": stale version");
              present++;
            }
          }
        }
      }
      EngineInvariants.check(engine);
      System.out.printf("stress %s seed=%d: %d verified loads, %d artifacts at the end, %d refused stores, %s%n",
          mode, seed, loads.get(), present, refused.get(), engine.stats());
      assertTrue(loads.get() > 0, "no load found anything");
    }
  }
}
