package io.stratacache.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import io.stratacache.testkit.FaultyLayer;
import io.stratacache.testkit.Seeds;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class FaultyLayerTest {
  @RegisterExtension static final org.junit.jupiter.api.extension.TestWatcher SEED = Seeds.REPORTER;

  private final long seed = Seeds.seed();
  private final List<MemoryLayer> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(MemoryLayer::close);
  }

  private MemoryLayer cpu(String name) {
    MemoryLayer layer = LayerProviders.forName("cpu").open(LayerSpec.of(name, "cpu", Map.of("capacity", "16MiB")));
    opened.add(layer);
    return layer;
  }

  private static MemorySegment payload(int n) {
    return MemorySegment.ofArray(new byte[] {(byte) n, (byte) (n >> 8), 7});
  }

  private static ArtifactId id(int i) {
    return ArtifactId.of("f" + i);
  }

  /** Which of {@code n} first attempts to store ids 0..n-1 fail. */
  private BitSet failures(FaultyLayer layer, int n) {
    BitSet failed = new BitSet();
    for (int i = 0; i < n; i++) {
      try {
        layer.put(id(i), ArtifactMeta.custom(), payload(i));
      } catch (LayerUnavailableException e) {
        failed.set(i);
      }
    }
    return failed;
  }

  @Test
  void sameSeed_injectsTheSameFaults_anotherSeedOthers() {
    BitSet a = failures(FaultyLayer.wrap(cpu("a")).seed(seed).putFailureRate(0.3).build(), 400);
    BitSet b = failures(FaultyLayer.wrap(cpu("b")).seed(seed).putFailureRate(0.3).build(), 400);
    BitSet c = failures(FaultyLayer.wrap(cpu("c")).seed(seed + 1).putFailureRate(0.3).build(), 400);
    assertEquals(a, b);
    assertNotEquals(a, c);
  }

  @Test
  void faults_doNotDependOnThreadInterleaving() throws Exception {
    BitSet sequential = failures(FaultyLayer.wrap(cpu("seq")).seed(seed).putFailureRate(0.25).build(), 800);
    FaultyLayer concurrent = FaultyLayer.wrap(cpu("par")).seed(seed).putFailureRate(0.25).build();
    BitSet failed = new BitSet();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int first = t;
        futures.add(pool.submit(() -> {
          for (int i = first; i < 800; i += 4) {
            try {
              concurrent.put(id(i), ArtifactMeta.custom(), payload(i));
            } catch (LayerUnavailableException e) {
              synchronized (failed) {
                failed.set(i);
              }
            }
          }
        }));
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(sequential, failed);
  }

  @Test
  void putFailureRate_isMetAndAFailedPutStoresNothing() {
    FaultyLayer layer = FaultyLayer.wrap(cpu("rate")).seed(seed).putFailureRate(0.2).build();
    BitSet failed = failures(layer, 5000);
    int n = failed.cardinality();
    assertTrue(n > 850 && n < 1150, n + " of 5000 puts failed at rate 0.2");
    assertEquals(n, layer.injectedPutFailures());
    for (int i = 0; i < 5000; i++) {
      assertEquals(!failed.get(i), layer.inner().contains(id(i)), "id " + i);
    }
    assertEquals(5000 - n, layer.stats().artifacts());
  }

  @Test
  void retries_areFreshDraws_soEveryStoreEventuallySucceeds() {
    FaultyLayer layer = FaultyLayer.wrap(cpu("retry")).seed(seed).putFailureRate(0.5).build();
    int attempts = 0;
    for (int i = 0; i < 200; i++) {
      while (true) {
        attempts++;
        try {
          layer.put(id(i), ArtifactMeta.custom(), payload(i));
          break;
        } catch (LayerUnavailableException e) {
          assertTrue(attempts < 100_000, "a retry loop that never ends");
        }
      }
    }
    assertEquals(200, layer.stats().artifacts());
    assertEquals(attempts - 200, layer.injectedPutFailures());
    assertTrue(layer.injectedPutFailures() > 100, "rate 0.5 over 200 ids: " + layer.injectedPutFailures());
  }

  @Test
  void rates_zeroAndOne_andLoadFailures() {
    FaultyLayer none = FaultyLayer.wrap(cpu("none")).seed(seed).build();
    assertEquals(0, failures(none, 100).cardinality());
    FaultyLayer all = FaultyLayer.wrap(cpu("all")).seed(seed).putFailureRate(1).build();
    assertEquals(100, failures(all, 100).cardinality());
    assertEquals(0, all.stats().artifacts());
    assertThrows(LayerUnavailableException.class, () -> all.reserve(id(1), ArtifactMeta.custom(), 10));

    FaultyLayer loads = FaultyLayer.wrap(cpu("loads")).seed(seed).getFailureRate(1).build();
    loads.put(id(1), ArtifactMeta.custom(), payload(1));
    assertThrows(LayerUnavailableException.class, () -> loads.get(id(1)));
    assertTrue(loads.contains(id(1)));
    assertEquals(1, loads.injectedGetFailures());
    assertThrows(IllegalArgumentException.class, () -> FaultyLayer.wrap(loads).putFailureRate(1.5));
  }

  @Test
  void injectedFailure_namesTheSeedToReproduceWith() {
    FaultyLayer layer = FaultyLayer.wrap(cpu("msg")).seed(0xC0FFEEL).putFailureRate(1).build();
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class,
        () -> layer.put(id(3), ArtifactMeta.custom(), payload(3)));
    assertTrue(e.getMessage().contains("tier 'msg': injected put failure for f3 (attempt 1"), e.getMessage());
    assertTrue(e.getMessage().contains("reproduce with -Dtests.seed=0xc0ffee"), e.getMessage());
  }

  @Test
  void crash_dropsWhatWasNotSynced() {
    FaultyLayer layer = FaultyLayer.wrap(cpu("crash")).seed(seed).build();
    layer.put(id(1), ArtifactMeta.custom(), payload(1));
    layer.put(id(2), ArtifactMeta.custom(), payload(2));
    layer.put(id(3), ArtifactMeta.custom(), payload(3));
    layer.sync();
    layer.put(id(4), ArtifactMeta.custom(), payload(4));
    layer.put(id(1), ArtifactMeta.custom(), payload(11));
    layer.delete(id(2));
    try (Reservation r = layer.reserve(id(5), ArtifactMeta.custom(), 3)) {
      MemorySegment.copy(payload(5), 0, r.segment(), 0, 3);
      r.commit();
    }

    List<ArtifactId> dropped = layer.crash();
    assertEquals(List.of(id(1), id(4), id(5)), dropped.stream().sorted().toList());
    assertEquals(3, layer.lostInCrashes());
    assertNull(layer.get(id(1)), "a replace after the sync is lost with its older version");
    assertFalse(layer.contains(id(2)), "deletes take effect at once");
    try (Lease l = layer.get(id(3))) {
      assertEquals(-1, l.segment().mismatch(payload(3)));
    }
    assertEquals(List.of(), layer.crash(), "nothing unsynced is left");
    layer.put(id(6), ArtifactMeta.custom(), payload(6));
    assertTrue(layer.contains(id(6)));
  }

  @Test
  void latency_isAddedToStoresAndLoads() {
    FaultyLayer layer = FaultyLayer.wrap(cpu("slow")).seed(seed).latency(Duration.ofMillis(30)).build();
    long start = System.nanoTime();
    layer.put(id(1), ArtifactMeta.custom(), payload(1));
    layer.get(id(1)).close();
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(60), "two calls of 30 ms each");
  }
}
