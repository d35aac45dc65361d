package io.stratacache.backend.cpu;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.ConfigException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.LeaseClosedException;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the conformance kit cannot state: settings, alignment, pre-touch, allocator behaviour, close. */
@Timeout(value = 60, unit = SECONDS)
class CpuLayerTest {
  private static final long SEED = Long.getLong("tests.seed", System.nanoTime());
  private static final long MIB = 1 << 20;

  private final List<MemoryLayer> layers = new ArrayList<>();
  private final Arena arena = Arena.ofShared();

  @AfterEach
  void closeAll() {
    layers.forEach(MemoryLayer::close);
    arena.close();
  }

  private CpuLayer open(Map<String, Object> settings) {
    MemoryLayer layer = new CpuLayerProvider().open(LayerSpec.of("hot", "cpu", settings));
    layers.add(layer);
    return (CpuLayer) layer;
  }

  private MemorySegment bytes(long size, int value) {
    MemorySegment s = arena.allocate(Math.max(1, size)).asSlice(0, size);
    s.fill((byte) value);
    return s;
  }

  // ---------------------------------------------------------------------------------------------
  // provider and settings

  @Test
  void provider_isFoundByName() {
    assertInstanceOf(CpuLayerProvider.class, LayerProviders.forName("cpu"));
    assertTrue(LayerProviders.forName("cpu").probe().available(), LayerProviders.forName("cpu").probe().reason());
  }

  @Test
  void unknownSetting_isRejected_listingTheKnownOnes() {
    ConfigException e = assertThrows(ConfigException.class, () -> open(Map.of("capacity", MIB, "pretuch", false)));
    assertTrue(e.getMessage().contains("tiers.hot.pretuch"), e.getMessage());
    assertTrue(e.getMessage().contains("[alignment, capacity, eviction_policy, optional, pretouch]"), e.getMessage());
  }

  @Test
  void capacity_isRequired() {
    ConfigException e = assertThrows(ConfigException.class, () -> open(Map.of("alignment", 64)));
    assertTrue(e.getMessage().contains("tiers.hot.capacity"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"48", "0", "2MiB", "lots"})
  void alignment_mustBeAPowerOfTwoUpTo1MiB(String alignment) {
    ConfigException e =
        assertThrows(ConfigException.class, () -> open(Map.of("capacity", MIB, "alignment", alignment)));
    assertTrue(e.getMessage().contains("tiers.hot.alignment"), e.getMessage());
  }

  @Test
  void alignment_mayNotExceedTheCapacity() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> open(Map.of("capacity", 4096, "alignment", "8KiB")));
    assertTrue(e.getMessage().contains("at most the capacity, 4096 bytes"), e.getMessage());
  }

  @Test
  void pretouchAndPolicy_areChecked() {
    assertThrows(ConfigException.class, () -> open(Map.of("capacity", MIB, "pretouch", "sometimes")));
    assertThrows(ConfigException.class, () -> open(Map.of("capacity", MIB, "eviction_policy", "mru")));
  }

  // ---------------------------------------------------------------------------------------------
  // layout

  @ParameterizedTest
  @ValueSource(ints = {1, 8, 64, 4096})
  void everyArtifact_startsAligned_andUsesWholeUnits(int alignment) {
    CpuLayer layer = open(Map.of("capacity", 8 * MIB, "alignment", alignment));
    assertEquals(alignment, layer.alignment());
    SplittableRandom random = new SplittableRandom(SEED);
    long expectedUsed = 0;
    for (int i = 0; i < 40; i++) {
      long size = random.nextInt(50_000);
      ArtifactId id = ArtifactId.of("a" + i);
      layer.put(id, ArtifactMeta.custom(), bytes(size, i));
      expectedUsed += Math.max(alignment, (size + alignment - 1) / alignment * alignment);
      try (Lease lease = layer.get(id)) {
        assertEquals(0, lease.segment().address() % alignment, "artifact of " + size + " bytes (seed " + SEED + ")");
      }
    }
    assertEquals(expectedUsed, layer.stats().usedBytes());
  }

  @Test
  void usedBytes_countsWholeBlocks_includingEmptyArtifacts_andTracksEvictions() {
    CpuLayer layer = open(Map.of("capacity", 4096, "alignment", 64));
    layer.put(ArtifactId.of("empty"), ArtifactMeta.custom(), bytes(0, 0));
    assertEquals(64, layer.stats().usedBytes());
    for (int i = 0; i < 3; i++) {
      layer.put(ArtifactId.of("k" + i), ArtifactMeta.custom(), bytes(1000, i));
    }
    assertEquals(64 + 3 * 1024, layer.stats().usedBytes());
    layer.put(ArtifactId.of("k3"), ArtifactMeta.custom(), bytes(1000, 3)); // evicts "empty", then k0
    assertEquals(2, layer.stats().evictions());
    assertEquals(3 * 1024, layer.stats().usedBytes());
    assertEquals(Set.of(ArtifactId.of("k1"), ArtifactId.of("k2"), ArtifactId.of("k3")), Set.copyOf(layer.ids()));
  }

  @Test
  void oversizeArtifact_isRefused_namingBothSizes() {
    CpuLayer layer = open(Map.of("capacity", 10_000, "alignment", 64));
    CapacityException e = assertThrows(
        CapacityException.class, () -> layer.put(ArtifactId.of("big"), ArtifactMeta.custom(), bytes(9_985, 0)));
    assertTrue(e.getMessage().contains("9985 bytes"), e.getMessage());
    assertTrue(e.getMessage().contains("9984 bytes"), "usable size " + e.getMessage());
    assertTrue(e.getMessage().contains("10000 bytes"), "capacity " + e.getMessage());
    layer.put(ArtifactId.of("fits"), ArtifactMeta.custom(), bytes(9_984, 0));
  }

  // ---------------------------------------------------------------------------------------------
  // pre-touch

  @Test
  void pretouch_mapsEveryPageAtOpen_andWithoutItThePagesStayUnmapped() throws Throwable {
    assumeTrue(System.getProperty("os.name").startsWith("Linux"), "mincore is read on Linux only");
    CpuLayer touched = open(Map.of("capacity", 64 * MIB));
    assertEquals(1.0, residentFraction(touched.slab()), "pretouch=true left pages unmapped");

    CpuLayer lazy = open(Map.of("capacity", 64 * MIB, "pretouch", false));
    double before = residentFraction(lazy.slab());
    assertTrue(before < 0.05, "pretouch=false, yet " + before + " of the slab is mapped");
    lazy.put(ArtifactId.of("x"), ArtifactMeta.custom(), bytes(16 * MIB, 1));
    double after = residentFraction(lazy.slab());
    assertTrue(after >= 0.25, "the first put should map the pages it writes: " + after);
  }

  @Test
  void pretouch_ofALargeSlab_usesSeveralThreads_andMapsEveryPage() throws Throwable {
    assumeTrue(System.getProperty("os.name").startsWith("Linux"), "mincore is read on Linux only");
    CpuLayer layer = open(Map.of("capacity", 300 * MIB));
    assertEquals(1.0, residentFraction(layer.slab()));
  }

  // Restricted: mincore(2) is called through the native linker to see which pages are mapped.
  @SuppressWarnings("restricted")
  private static double residentFraction(MemorySegment slab) throws Throwable {
    Linker linker = Linker.nativeLinker();
    MethodHandle mincore = linker.downcallHandle(
        linker.defaultLookup().find("mincore").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    long pages = (slab.byteSize() + NativeSlab.PAGE - 1) / NativeSlab.PAGE;
    try (Arena a = Arena.ofConfined()) {
      MemorySegment vec = a.allocate(pages);
      int rc = (int) mincore.invokeExact(slab, slab.byteSize(), vec);
      assertEquals(0, rc, "mincore failed");
      long resident = 0;
      for (long i = 0; i < pages; i++) {
        resident += vec.get(ValueLayout.JAVA_BYTE, i) & 1;
      }
      return resident / (double) pages;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // making room

  @Test
  void refusedPut_evictsNothing_whenLeasesSplitTheFreeableSpace() {
    CpuLayer layer = open(Map.of("capacity", MIB));
    long quarter = MIB / 4;
    for (String id : List.of("a", "b", "c", "d")) {
      layer.put(ArtifactId.of(id), ArtifactMeta.custom(), bytes(quarter, id.charAt(0)));
    }
    try (Lease b = layer.get(ArtifactId.of("b")); Lease d = layer.get(ArtifactId.of("d"))) {
      CapacityException e = assertThrows(
          CapacityException.class, () -> layer.put(ArtifactId.of("half"), ArtifactMeta.custom(), bytes(MIB / 2, 9)));
      assertTrue(e.getMessage().contains("evicting could free at most " + quarter + " adjacent bytes"), e.getMessage());
      assertTrue(e.getMessage().contains("2 leased"), e.getMessage());
      assertEquals(0, layer.stats().evictions(), "a refused put evicted");
      assertEquals(4, layer.ids().size());

      layer.put(ArtifactId.of("small"), ArtifactMeta.custom(), bytes(quarter - 4096, 9));
      assertFalse(layer.contains(ArtifactId.of("a")), "a was the least recently used");
      assertTrue(layer.contains(ArtifactId.of("c")));
      assertEquals(1, layer.stats().evictions());
      assertTrue(b.isOpen() && d.isOpen());
    }
  }

  @Test
  void refusedPut_asksTheListenerNothing_whenPinsAndLeasesLeaveTooLittle() {
    CpuLayer layer = open(Map.of("capacity", MIB));
    for (String id : List.of("a", "b", "c")) {
      layer.put(ArtifactId.of(id), ArtifactMeta.custom(), bytes(300_000, id.charAt(0)));
    }
    assertTrue(layer.pin(ArtifactId.of("c")));
    List<ArtifactId> asked = new ArrayList<>();
    layer.setEvictionListener((tier, id, meta, payload) -> asked.add(id));
    try (Lease b = layer.get(ArtifactId.of("b"))) {
      // Only a may go; a and the free space together are less than 600,000 bytes.
      assertThrows(
          CapacityException.class, () -> layer.put(ArtifactId.of("big"), ArtifactMeta.custom(), bytes(600_000, 9)));
      assertEquals(List.of(), asked, "a refused put asked to evict");
      assertEquals(0, layer.stats().evictions());
      assertEquals(3, layer.ids().size());
      assertTrue(b.isOpen());
    }
  }

  @Test
  void randomWorkload_withSomeLeasesHeld_neverRefusesAPutThatEvictingCouldFit() {
    CpuLayer layer = open(Map.of("capacity", 2 * MIB, "alignment", 256));
    SplittableRandom random = new SplittableRandom(SEED);
    Map<ArtifactId, Lease> held = new HashMap<>();
    MemorySegment src = bytes(MIB / 2, 7);
    int refused = 0;
    try {
      for (int i = 0; i < 2_000; i++) {
        ArtifactId id = ArtifactId.of("r" + random.nextInt(300));
        int op = random.nextInt(10);
        if (op == 0 && held.size() < 3 && !held.containsKey(id)) {
          Lease l = layer.get(id);
          if (l != null) {
            held.put(id, l);
          }
        } else if (op == 1 && !held.isEmpty()) {
          held.remove(held.keySet().iterator().next()).close();
        } else {
          long size = random.nextInt(8) == 0 ? random.nextLong(MIB / 2) : random.nextLong(MIB / 32);
          try {
            layer.put(id, ArtifactMeta.custom(), src.asSlice(0, size));
          } catch (CapacityException e) {
            // Nothing is pinned and this thread's puts are done, so only the held leases block
            // eviction: they split the rest of the slab into at most held + 1 runs, and the longest
            // of those is at least their average.
            long leased = held.values().stream().mapToLong(l -> block(l.size(), 256)).sum();
            long guaranteed = (2 * MIB - leased) / (held.size() + 1);
            assertTrue(block(size, 256) > guaranteed,
                "refused " + size + " bytes though evicting frees a run of " + guaranteed + " (seed " + SEED + "): "
                    + e.getMessage());
            refused++;
          }
        }
      }
    } finally {
      held.values().forEach(Lease::close);
    }
    assertEquals(refused, layer.stats().rejected());
    layer.deleteAll(layer.ids());
    assertEquals(0, layer.stats().usedBytes());
  }

  @Test
  void aPutThatFindsOnlyVictimsBeingEvictedElsewhere_waitsForThem() throws Exception {
    CpuLayer layer = open(Map.of("capacity", MIB));
    // a, b, c leave 48,512 bytes free; evicting a frees 400,000, room for both new artifacts.
    layer.put(ArtifactId.of("a"), ArtifactMeta.custom(), bytes(400_000, 1));
    layer.put(ArtifactId.of("b"), ArtifactMeta.custom(), bytes(300_000, 2));
    layer.put(ArtifactId.of("c"), ArtifactMeta.custom(), bytes(300_000, 3));
    layer.pin(ArtifactId.of("b"));
    layer.pin(ArtifactId.of("c"));
    CountDownLatch inListener = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    layer.setEvictionListener((tier, id, meta, payload) -> {
      inListener.countDown();
      await(release);
      return true;
    });

    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<?> first = threads.submit(
          () -> layer.put(ArtifactId.of("first"), ArtifactMeta.custom(), bytes(200_000, 4)));
      await(inListener);
      AtomicReference<Thread> secondThread = new AtomicReference<>();
      Future<?> second = threads.submit(() -> {
        secondThread.set(Thread.currentThread());
        layer.put(ArtifactId.of("second"), ArtifactMeta.custom(), bytes(150_000, 5));
      });
      while (secondThread.get() == null || secondThread.get().getState() != Thread.State.WAITING) {
        assertFalse(second.isDone(), "the second put finished while the only victim was being evicted");
        Thread.onSpinWait();
      }
      release.countDown();
      first.get(30, SECONDS);
      second.get(30, SECONDS);
    } finally {
      threads.shutdownNow();
    }
    assertEquals(Set.of("b", "c", "first", "second"), Set.copyOf(layer.ids().stream().map(ArtifactId::value).toList()));
    assertEquals(1, layer.stats().evictions());
  }

  @Test
  void closingTheLayerFromTheEvictionListener_failsThePutWithLayerUnavailable() {
    CpuLayer layer = open(Map.of("capacity", MIB));
    for (int i = 0; i < 3; i++) {
      layer.put(ArtifactId.of("k" + i), ArtifactMeta.custom(), bytes(300_000, i));
    }
    layer.setEvictionListener((tier, id, meta, payload) -> {
      layer.close();
      return true;
    });
    assertThrows(
        LayerUnavailableException.class,
        () -> layer.put(ArtifactId.of("new"), ArtifactMeta.custom(), bytes(300_000, 9)));
  }

  // ---------------------------------------------------------------------------------------------
  // close and threads

  @Test
  void closingTheLayer_endsOpenLeases_andStaleSegmentsFaultInsteadOfReadingFreedMemory() {
    CpuLayer layer = open(Map.of("capacity", MIB));
    ArtifactId id = ArtifactId.of("x");
    layer.put(id, ArtifactMeta.custom(), bytes(4096, 42));
    Lease lease = layer.get(id);
    MemorySegment stale = lease.segment();
    assertEquals(42, stale.get(ValueLayout.JAVA_BYTE, 100));
    layer.close();

    assertFalse(lease.isOpen());
    LeaseClosedException e = assertThrows(LeaseClosedException.class, lease::segment);
    assertTrue(e.getMessage().contains("ended when the tier was closed"), e.getMessage());
    assertThrows(LeaseClosedException.class, lease::meta);
    assertThrows(IllegalStateException.class, () -> stale.get(ValueLayout.JAVA_BYTE, 100));
    lease.close();
  }

  @Test
  void reservation_mayBeFilledAndCommittedOnOtherThreads() throws Exception {
    CpuLayer layer = open(Map.of("capacity", MIB));
    ArtifactId id = ArtifactId.of("gathered");
    Reservation r = layer.reserve(id, ArtifactMeta.custom(), 8192);
    CompletableFuture.runAsync(() -> r.segment().asSlice(0, 4096).fill((byte) 1)).get(30, SECONDS);
    CompletableFuture.runAsync(() -> r.segment().asSlice(4096, 4096).fill((byte) 2)).get(30, SECONDS);
    CompletableFuture.runAsync(r::commit).get(30, SECONDS);
    try (Lease lease = layer.get(id)) {
      assertNotNull(lease);
      assertEquals(1, lease.segment().get(ValueLayout.JAVA_BYTE, 0));
      assertEquals(2, lease.segment().get(ValueLayout.JAVA_BYTE, 8191));
    }
  }

  @Test
  void reservation_isTheSpaceTheArtifactOccupies_soCommitCopiesNothing() {
    CpuLayer layer = open(Map.of("capacity", MIB));
    ArtifactId id = ArtifactId.of("in-place");
    long address;
    try (Reservation r = layer.reserve(id, ArtifactMeta.custom(), 1000)) {
      address = r.segment().address();
      r.segment().fill((byte) 3);
      r.commit();
    }
    try (Lease lease = layer.get(id)) {
      assertEquals(address, lease.segment().address());
    }
  }

  private static long block(long size, long alignment) {
    return Math.max(alignment, (size + alignment - 1) / alignment * alignment);
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(30, SECONDS), "latch not released");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
