package io.stratacache.testkit;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.spi.BatchAccess;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Contract {@code concurrency}: threads storing, loading, holding and deleting overlapping ids
 * never see torn bytes or another artifact's bytes, and the accounting balances afterwards.
 */
@Contract("concurrency")
public abstract class AbstractConcurrencyTest extends AbstractLayerTest {
  @Test
  @Timeout(value = 120, unit = SECONDS)
  public void concurrentPutGetDelete_neverShowTornOrForeignBytes() throws Exception {
    // Each thread holds at most two leases or unfinished puts, so at most 8 blocks of 64 KiB are
    // unevictable and the rest of the 2 MiB always has a run long enough; 96 ids of 32 KiB on
    // average do not fit, so puts evict.
    long capacity = 2L << 20;
    int maxSize = 64 << 10;
    MemoryLayer layer = open("hot", capacity);
    ArtifactId[] ids = new ArtifactId[96];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = ArtifactId.of("c" + i);
    }
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long threadSeed = seed + t;
        futures.add(pool.submit(() -> {
          SplittableRandom random = new SplittableRandom(threadSeed);
          try (Arena mine = Arena.ofConfined()) {
            MemorySegment buffer = mine.allocate(maxSize);
            Lease held = null;
            for (int op = 0; op < 1000; op++) {
              ArtifactId id = ids[random.nextInt(ids.length)];
              int kind = random.nextInt(10);
              if (kind < 4) {
                long s = random.nextLong();
                int size = random.nextInt(maxSize + 1);
                MemorySegment p = buffer.asSlice(0, size);
                fill(p, s);
                layer.put(id, meta(s, size).toBuilder().attribute("id", id.value()).build(), p);
              } else if (kind < 8) {
                try (Lease lease = layer.get(id)) {
                  if (lease != null) {
                    assertConsistent(lease);
                  }
                }
              } else if (kind == 8) {
                layer.delete(id);
              } else if (held == null) {
                held = layer.get(id);
              } else {
                assertConsistent(held);
                held.close();
                held = null;
              }
            }
            if (held != null) {
              assertConsistent(held);
              held.close();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    LayerStats s = layer.stats();
    assertEquals(0, s.openLeases());
    assertEquals(0, s.rejected(), "no put should be refused: at most 8 blocks are leased or being written");
    assertTrue(s.evictions() > 0, "the workload was meant to evict");
    for (ArtifactId id : layer.ids()) {
      try (Lease lease = layer.get(id)) {
        if (lease != null) {
          assertConsistent(lease);
        }
      }
    }
    BatchAccess.deleteAll(layer, layer.ids());
    assertEquals(0, layer.stats().usedBytes());
    assertEquals(0, layer.stats().artifacts());
  }
}
