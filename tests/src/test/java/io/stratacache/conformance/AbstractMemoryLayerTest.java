package io.stratacache.conformance;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.CapacityException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.LeaseClosedException;
import io.stratacache.spi.BatchAccess;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contracts of {@link MemoryLayer}, {@link Lease} and {@link Reservation} that every layer
 * keeps, whatever its medium. A provider runs the kit with a few lines:
 *
 * <pre>{@code
 * @ConformanceFor("cpu")
 * class CpuLayerConformanceTest extends AbstractMemoryLayerTest {
 *   protected MemoryLayer newLayer(String tier, long capacity) {
 *     return LayerProviders.forName("cpu").open(LayerSpec.of(tier, "cpu", Map.of("capacity", capacity)));
 *   }
 * }
 * }</pre>
 *
 * <p>Sizes are chosen so that a layer's own per-artifact overhead (alignment, record headers) of up
 * to a few KiB does not change the outcome: three artifacts of {@value #THIRD} bytes fit a layer of
 * {@value #CAPACITY} bytes, and a fourth does not.
 *
 * <p>Randomised tests derive their data from {@code -Dtests.seed} (random if unset); a failing
 * test prints the seed to reproduce it with. After each test the kit checks that no lease was left
 * open and that the layer holds no more than its capacity, then closes every layer it opened.
 */
public abstract class AbstractMemoryLayerTest {
  /** Capacity of the layers most tests open. */
  protected static final long CAPACITY = 1 << 20;

  /** Three artifacts of this size fit {@link #CAPACITY}; a fourth does not. */
  protected static final int THIRD = 300_000;

  private static final long MASTER_SEED = masterSeed();

  @RegisterExtension
  static final TestWatcher SEED_REPORTER = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      System.err.printf(
          "%s failed: reproduce with -Dtests.seed=0x%s -Dtest=%s#%s%n",
          context.getDisplayName(), Long.toHexString(MASTER_SEED),
          context.getRequiredTestClass().getSimpleName(), context.getRequiredTestMethod().getName());
    }
  };

  /** This test's seed, derived from the master seed and the test's name. */
  protected long seed;

  /** Holds test payloads; closed after each test. */
  protected Arena arena;

  private final List<MemoryLayer> opened = new ArrayList<>();

  /**
   * Opens a fresh, empty layer of the provider under test, called {@code tierName}, holding at most
   * {@code capacityBytes}, with the provider's default settings otherwise (so eviction policy
   * {@code lru}). Called several times per test, possibly with different names.
   */
  protected abstract MemoryLayer newLayer(String tierName, long capacityBytes);

  /**
   * Like {@link #newLayer(String, long)} with setting {@code eviction_policy} set to {@code
   * evictionPolicy}; {@code null} if the provider cannot be given a policy (tests that need one are
   * then skipped).
   */
  protected MemoryLayer newLayer(String tierName, long capacityBytes, String evictionPolicy) {
    return null;
  }

  /** Whether the layer keeps its artifacts when closed and {@linkplain #reopen reopened}. */
  protected boolean isDurable() {
    return false;
  }

  /**
   * Opens again, over the same medium, the layer that {@link #newLayer(String, long)} opened as
   * {@code tierName} and that has since been closed. Only called if {@link #isDurable()}.
   */
  protected MemoryLayer reopen(String tierName, long capacityBytes) {
    throw new UnsupportedOperationException(getClass().getName() + " is durable but does not override reopen");
  }

  // ---------------------------------------------------------------------------------------------
  // fixture

  @BeforeEach
  final void setUpKit(TestInfo info) {
    seed = mix(MASTER_SEED ^ (info.getTestMethod().orElseThrow().getName() + info.getDisplayName()).hashCode());
    arena = Arena.ofShared();
  }

  @AfterEach
  final void checkInvariantsAndClose() {
    try {
      for (MemoryLayer layer : opened) {
        LayerStats stats;
        try {
          stats = layer.stats();
        } catch (LayerUnavailableException closedByTheTest) {
          continue;
        }
        assertEquals(0, stats.openLeases(), "tier '" + layer.name() + "': leases still open after the test");
        assertTrue(
            stats.usedBytes() <= stats.capacityBytes(),
            "tier '" + layer.name() + "': usedBytes " + stats.usedBytes() + " > capacity " + stats.capacityBytes());
      }
    } finally {
      opened.forEach(MemoryLayer::close);
      opened.clear();
      arena.close();
    }
  }

  /** Opens a layer with {@link #newLayer(String, long)} and closes it after the test. */
  protected final MemoryLayer open(String tierName, long capacityBytes) {
    return track(newLayer(tierName, capacityBytes));
  }

  private MemoryLayer track(MemoryLayer layer) {
    assertNotNull(layer, "newLayer returned null");
    opened.add(layer);
    return layer;
  }

  // ---------------------------------------------------------------------------------------------
  // round trips

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(longs = {0, 1, 7, 63, 64, 65, 4095, 4096, 4097, 100_003, (1 << 20) + 3})
  void put_thenGet_returnsSameBytesAndMeta(long size) {
    MemoryLayer layer = open("hot", 4L << 20);
    ArtifactId id = ArtifactId.of("kv", "m", "size" + size);
    ArtifactMeta meta = meta(seed, size);
    layer.put(id, meta, payload(size, seed));

    assertTrue(layer.contains(id));
    try (Lease lease = layer.get(id)) {
      assertNotNull(lease, "get after put");
      assertEquals(id, lease.id());
      assertEquals("hot", lease.tier());
      assertEquals(size, lease.size());
      assertEquals(size, lease.segment().byteSize());
      assertEquals(meta, lease.meta());
      assertPayload(lease.segment(), size, seed, id);
      assertTrue(lease.isOpen());
    }
  }

  @Test
  void put_copiesThePayload_soTheCallerMayReuseItsSegment() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("a");
    MemorySegment src = payload(10_000, seed);
    layer.put(id, ArtifactMeta.custom(), src);
    fill(src, seed + 1);

    try (Lease lease = layer.get(id)) {
      assertPayload(lease.segment(), 10_000, seed, id);
    }
  }

  @Test
  void put_acceptsAHeapSegment() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("heap");
    MemorySegment heap = MemorySegment.ofArray(new byte[5_001]);
    fill(heap, seed);
    layer.put(id, ArtifactMeta.custom(), heap);

    try (Lease lease = layer.get(id)) {
      assertPayload(lease.segment(), 5_001, seed, id);
    }
  }

  @Test
  void meta_roundTripsExactly_forEveryTypeHintsAndAttributes() {
    MemoryLayer layer = open("hot", CAPACITY);
    for (ArtifactType type : ArtifactType.values()) {
      ArtifactMeta meta = ArtifactMeta.builder(type)
          .hint(ArtifactMeta.HINT_PROMOTE, "false")
          .hint("z-last", "1")
          .attribute("tensor_dtype", "bfloat16")
          .attribute("tensor_shape", "[32,8,256,128]")
          .attribute("unicode", "Grüße, 世界 \uD83D\uDE80")
          .attribute("empty", "")
          .attribute("a-after-empty", "quote \" and backslash \\")
          .build();
      ArtifactId id = ArtifactId.of("meta", type.name());
      layer.put(id, meta, payload(3, seed));
      try (Lease lease = layer.get(id)) {
        assertEquals(meta, lease.meta());
        assertEquals(List.copyOf(meta.hints().keySet()), List.copyOf(lease.meta().hints().keySet()), "hint order");
        assertEquals(
            List.copyOf(meta.attributes().keySet()), List.copyOf(lease.meta().attributes().keySet()), "attribute order");
      }
    }
  }

  @Test
  void ids_ofEveryShape_roundTrip() {
    MemoryLayer layer = open("hot", CAPACITY);
    List<ArtifactId> ids = List.of(
        ArtifactId.of("x"),
        ArtifactId.of("kv", "llama3-8b", "tp2", "c0ffee"),
        ArtifactId.of("unicode", "Grüße", "世界", "\uD83D\uDE80"),
        ArtifactId.of("spaces and dots", "..", ".", "a b"),
        ArtifactId.of("Case"),
        ArtifactId.of("case"),
        ArtifactId.of("x".repeat(ArtifactId.MAX_UTF8_BYTES)));
    for (int i = 0; i < ids.size(); i++) {
      layer.put(ids.get(i), meta(seed + i, 100 + i), payload(100 + i, seed + i));
    }
    assertEquals(Set.copyOf(ids), Set.copyOf(layer.ids()));
    for (int i = 0; i < ids.size(); i++) {
      try (Lease lease = layer.get(ids.get(i))) {
        assertNotNull(lease, ids.get(i).value());
        assertEquals(ids.get(i), lease.id());
        assertPayload(lease.segment(), 100 + i, seed + i, ids.get(i));
      }
    }
  }

  @Test
  void get_ofAbsentId_returnsNull() {
    MemoryLayer layer = open("hot", CAPACITY);
    assertNull(layer.get(ArtifactId.of("absent")));
    assertFalse(layer.contains(ArtifactId.of("absent")));
  }

  @Test
  void delete_removesTheArtifact_andReportsWhetherItWasThere() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    ArtifactId b = ArtifactId.of("b");
    layer.put(a, ArtifactMeta.custom(), payload(1000, seed));
    layer.put(b, ArtifactMeta.custom(), payload(1000, seed + 1));

    assertTrue(layer.delete(a));
    assertFalse(layer.contains(a));
    assertNull(layer.get(a));
    assertFalse(layer.delete(a), "second delete");
    assertTrue(layer.contains(b), "delete touched another artifact");
    assertEquals(List.of(b), layer.ids());
  }

  @Test
  void ids_isASnapshot() {
    MemoryLayer layer = open("hot", CAPACITY);
    Set<ArtifactId> expected = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      ArtifactId id = ArtifactId.of("id" + i);
      layer.put(id, ArtifactMeta.custom(), payload(i * 10, seed));
      expected.add(id);
    }
    List<ArtifactId> snapshot = layer.ids();
    layer.delete(ArtifactId.of("id3"));
    layer.put(ArtifactId.of("late"), ArtifactMeta.custom(), payload(1, seed));

    assertEquals(20, snapshot.size(), "snapshot changed after the layer did");
    assertEquals(expected, Set.copyOf(snapshot));
    expected.remove(ArtifactId.of("id3"));
    expected.add(ArtifactId.of("late"));
    assertEquals(expected, Set.copyOf(layer.ids()));
  }

  // ---------------------------------------------------------------------------------------------
  // replace

  @Test
  void replace_publishesNewBytesAndMeta_whileAnOpenLeaseKeepsTheOld() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("r");
    ArtifactMeta oldMeta = meta(seed, 200_000);
    ArtifactMeta newMeta = meta(seed + 1, 100_001);
    layer.put(id, oldMeta, payload(200_000, seed));

    try (Lease old = layer.get(id)) {
      layer.put(id, newMeta, payload(100_001, seed + 1));
      try (Lease fresh = layer.get(id)) {
        assertEquals(newMeta, fresh.meta());
        assertEquals(100_001, fresh.size());
        assertPayload(fresh.segment(), 100_001, seed + 1, id);
      }
      assertEquals(List.of(id), layer.ids(), "one artifact per id");
      // Pressure: the old bytes must not be reused while leased.
      for (int i = 0; i < 12; i++) {
        layer.put(ArtifactId.of("filler" + i), ArtifactMeta.custom(), payload(150_000, seed + 100 + i));
      }
      assertTrue(old.isOpen());
      assertEquals(oldMeta, old.meta());
      assertEquals(200_000, old.size());
      assertPayload(old.segment(), 200_000, seed, id);
    }
  }

  @Test
  void replace_keepsThePins() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("pinned");
    layer.put(id, ArtifactMeta.custom(), payload(THIRD, seed));
    assertTrue(layer.pin(id));
    layer.put(id, ArtifactMeta.custom(), payload(THIRD, seed + 1));

    for (int i = 0; i < 6; i++) {
      putThird(layer, "f" + i, 10 + i);
    }
    assertTrue(layer.contains(id), "replaced artifact lost its pin and was evicted");
    assertEquals(1, layer.stats().pinned());
    assertTrue(layer.unpin(id));
    assertFalse(layer.unpin(id), "replace added a pin");
    assertEquals(0, layer.stats().pinned());
  }

  /**
   * The replaced version rule of {@link io.stratacache.spi.RoomMaker}: a store never offers the
   * version it replaces to the eviction listener, and makes room from other artifacts first.
   */
  @Test
  void replace_neverOffersTheReplacedVersionToTheListener() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = putThird(layer, "a", 1);
    putThird(layer, "b", 2);
    putThird(layer, "c", 3);
    List<ArtifactId> asked = new ArrayList<>();
    layer.setEvictionListener((tier, id, meta, bytes) -> asked.add(id));

    layer.put(a, meta(seed + 4, THIRD), payload(THIRD, seed + 4));

    assertFalse(asked.contains(a), "the listener was asked about the version being replaced: " + asked);
    try (Lease lease = layer.get(a)) {
      assertNotNull(lease, "the replacement is loadable");
      assertEquals(meta(seed + 4, THIRD), lease.meta());
      assertPayload(lease.segment(), THIRD, seed + 4, a);
    }
  }

  /**
   * The replaced version rule, last resort: when nothing else can go, the replaced version gives
   * way to its replacement without the listener being asked, and nothing else is lost.
   */
  @Test
  void replace_whenEverythingElseIsPinned_takesTheReplacedVersionsRoom() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = putThird(layer, "a", 1);
    ArtifactId b = putThird(layer, "b", 2);
    ArtifactId c = putThird(layer, "c", 3);
    assertTrue(layer.pin(b));
    assertTrue(layer.pin(c));
    List<ArtifactId> asked = new ArrayList<>();
    layer.setEvictionListener((tier, id, meta, bytes) -> asked.add(id));

    layer.put(a, meta(seed + 4, THIRD), payload(THIRD, seed + 4));

    assertEquals(List.of(), asked, "nothing was evicted, so the listener is not asked");
    assertEquals(Set.of(a, b, c), Set.copyOf(layer.ids()));
    try (Lease lease = layer.get(a)) {
      assertPayload(lease.segment(), THIRD, seed + 4, a);
    }
    try (Lease lease = layer.get(b)) {
      assertPayload(lease.segment(), THIRD, seed + 2, b);
    }
    assertEquals(0, layer.stats().evictions(), "a replace is not an eviction");
    assertTrue(layer.unpin(b));
    assertTrue(layer.unpin(c));
  }

  // ---------------------------------------------------------------------------------------------
  // leases

  @Test
  void lease_afterClose_throwsLeaseClosedExceptionFromEveryAccessor() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("l");
    layer.put(id, ArtifactMeta.custom(), payload(777, seed));
    Lease lease = layer.get(id);
    assertEquals(1, layer.stats().openLeases());
    lease.close();

    assertFalse(lease.isOpen());
    assertThrows(LeaseClosedException.class, lease::meta, "meta()");
    assertThrows(LeaseClosedException.class, lease::segment, "segment()");
    MemorySegment dst = arena.allocate(777);
    assertThrows(LeaseClosedException.class, () -> lease.copyTo(dst), "copyTo()");
    assertEquals(id, lease.id());
    assertEquals("hot", lease.tier());
    assertEquals(777, lease.size());
    lease.close();
    assertEquals(0, layer.stats().openLeases(), "a second close counted twice");
  }

  /**
   * A segment kept past its lease's close raises on access instead of reading whatever reuses the
   * memory, once the artifact is deleted and its space refilled.
   */
  @Test
  void lease_segmentKeptPastClose_raisesInsteadOfReadingReusedMemory() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = putThird(layer, "a", 1);
    Lease lease = layer.get(a);
    MemorySegment kept = lease.segment();
    lease.close();
    assertTrue(layer.delete(a));
    putThird(layer, "b", 2);
    putThird(layer, "c", 3);
    putThird(layer, "d", 4);

    assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0), "read after close");
    MemorySegment dst = arena.allocate(THIRD);
    assertThrows(IllegalStateException.class, () -> MemorySegment.copy(kept, 0, dst, 0, THIRD), "copy after close");
  }

  /**
   * Leases taken together may share the arena their views live in, so a segment kept past its
   * own lease's close may read on while another lease of the batch is open: then it reads its own
   * artifact's bytes, never another's, even under pressure; once every lease is closed and the
   * artifact gone, it raises.
   */
  @Test
  void leasesTakenTogether_keptSegmentReadsItsOwnBytesOrRaises_neverReusedMemory() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = putThird(layer, "a", 1);
    ArtifactId b = putThird(layer, "b", 2);
    Map<ArtifactId, Lease> leases = BatchAccess.getAll(layer, List.of(a, b));
    MemorySegment keptA = leases.get(a).segment();
    leases.get(a).close();
    assertTrue(layer.delete(a));
    putThird(layer, "c", 3);
    putThird(layer, "d", 4);

    try {
      assertPayload(keptA, THIRD, seed + 1, a);
    } catch (IllegalStateException raised) {
      // also allowed: the view was already invalidated
    }
    try (Lease bLease = leases.get(b)) {
      assertPayload(bLease.segment(), THIRD, seed + 2, b);
    }
    putThird(layer, "e", 5);
    putThird(layer, "f", 6);
    assertThrows(IllegalStateException.class, () -> keptA.get(ValueLayout.JAVA_BYTE, 0), "read after every close");
  }

  @Test
  void lease_segmentIsReadOnly() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("ro");
    layer.put(id, ArtifactMeta.custom(), payload(64, seed));
    try (Lease lease = layer.get(id)) {
      assertTrue(lease.segment().isReadOnly());
      assertThrows(IllegalArgumentException.class, () -> lease.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
      assertPayload(lease.segment(), 64, seed, id);
    }
  }

  @Test
  void lease_copyTo_copiesThePayload() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("c");
    layer.put(id, ArtifactMeta.custom(), payload(65_537, seed));
    MemorySegment dst = arena.allocate(70_000);
    try (Lease lease = layer.get(id)) {
      lease.copyTo(dst);
    }
    assertPayload(dst.asSlice(0, 65_537), 65_537, seed, id);
  }

  @Test
  void lease_mayBeClosedOnAnotherThread() throws Exception {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("t");
    layer.put(id, ArtifactMeta.custom(), payload(4096, seed));
    Lease lease = layer.get(id);
    CompletableFuture.runAsync(() -> {
      assertPayload(lease.segment(), 4096, seed, id);
      lease.close();
    }).get(30, SECONDS);
    assertFalse(lease.isOpen());
    assertEquals(0, layer.stats().openLeases());
  }

  @Test
  void delete_ofALeasedArtifact_keepsTheLeaseValidUntilClosed() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("d");
    layer.put(id, ArtifactMeta.custom(), payload(THIRD, seed));
    try (Lease lease = layer.get(id)) {
      assertTrue(layer.delete(id));
      assertFalse(layer.contains(id));
      assertNull(layer.get(id));
      for (int i = 0; i < 8; i++) {
        layer.put(ArtifactId.of("f" + i), ArtifactMeta.custom(), payload(THIRD / 2, seed + 1 + i));
      }
      assertPayload(lease.segment(), THIRD, seed, id);
    }
    BatchAccess.deleteAll(layer, layer.ids());
    assertEquals(0, layer.stats().usedBytes(), "space of the deleted, leased artifact was not given back");
  }

  @Test
  void leasedArtifacts_surviveEvictionPressure() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = putThird(layer, "leased", 0);
    try (Lease lease = layer.get(a)) {
      for (int i = 0; i < 20; i++) {
        putThird(layer, "f" + i, 1 + i);
      }
      assertTrue(layer.contains(a), "leased artifact was evicted");
      assertPayload(lease.segment(), THIRD, seed, a);
      assertEquals(18, layer.stats().evictions(), "each put after the second evicts one artifact");
    }
  }

  @Test
  void pinnedArtifacts_surviveEvictionPressure_untilUnpinned() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = putThird(layer, "pinned", 0);
    assertTrue(layer.pin(a));
    assertTrue(layer.pin(a), "pins nest");
    for (int i = 0; i < 10; i++) {
      putThird(layer, "f" + i, 1 + i);
    }
    assertTrue(layer.contains(a), "pinned artifact was evicted");
    assertTrue(layer.unpin(a));
    for (int i = 10; i < 20; i++) {
      putThird(layer, "f" + i, 1 + i);
    }
    assertTrue(layer.contains(a), "artifact pinned twice and unpinned once was evicted");
    try (Lease lease = layer.get(a)) {
      assertPayload(lease.segment(), THIRD, seed, a);
    }
    assertTrue(layer.unpin(a));
    assertFalse(layer.unpin(a), "unpin of an unpinned artifact");
    for (int i = 20; i < 30; i++) {
      putThird(layer, "f" + i, 1 + i);
    }
    assertFalse(layer.contains(a), "unpinned artifact was never evicted");
  }

  @Test
  void pin_ofAbsentArtifact_returnsFalse() {
    MemoryLayer layer = open("hot", CAPACITY);
    assertFalse(layer.pin(ArtifactId.of("absent")));
    assertFalse(layer.unpin(ArtifactId.of("absent")));
    assertEquals(0, layer.stats().pinned());
  }

  @Test
  void delete_endsThePins() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("p");
    layer.put(id, ArtifactMeta.custom(), payload(10, seed));
    assertTrue(layer.pin(id));
    assertTrue(layer.delete(id));
    assertEquals(0, layer.stats().pinned());
    layer.put(id, ArtifactMeta.custom(), payload(10, seed));
    assertFalse(layer.unpin(id), "a pin outlived delete");
  }

  // ---------------------------------------------------------------------------------------------
  // eviction

  @Test
  void eviction_followsLeastRecentlyUsedOrder_byDefault() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    ArtifactId b = ArtifactId.of("b");
    ArtifactId c = ArtifactId.of("c");
    putThird(layer, "a", 0);
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    layer.get(a).close();

    putThird(layer, "d", 3);
    assertEquals(Set.of(a, c, ArtifactId.of("d")), Set.copyOf(layer.ids()), "b was the least recently used");
    assertEquals(1, layer.stats().evictions());

    putThird(layer, "e", 4);
    assertEquals(Set.of(a, ArtifactId.of("d"), ArtifactId.of("e")), Set.copyOf(layer.ids()), "then c");
    assertEquals(2, layer.stats().evictions());
  }

  @Test
  void eviction_followsInsertionOrder_underFifo() {
    MemoryLayer layer = newLayer("hot", CAPACITY, "fifo");
    assumeTrue(layer != null, "the provider cannot be given an eviction policy");
    track(layer);
    ArtifactId a = ArtifactId.of("a");
    ArtifactId b = ArtifactId.of("b");
    ArtifactId c = ArtifactId.of("c");
    putThird(layer, "a", 0);
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    layer.get(a).close();

    putThird(layer, "d", 3);
    assertEquals(Set.of(b, c, ArtifactId.of("d")), Set.copyOf(layer.ids()), "a was stored first");
  }

  @Test
  void evictionListener_isAskedBeforeReuse_withTheVictimsBytes_whileItStaysLoadable() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    ArtifactMeta aMeta = meta(seed, THIRD);
    layer.put(a, aMeta, payload(THIRD, seed));
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    List<ArtifactId> asked = new ArrayList<>();
    layer.setEvictionListener((tier, id, meta, bytes) -> {
      asked.add(id);
      assertEquals("hot", tier);
      assertEquals(a, id);
      assertEquals(aMeta, meta);
      assertPayload(bytes, THIRD, seed, id);
      try (Lease during = layer.get(id)) {
        assertNotNull(during, "the victim must stay loadable while the listener runs");
        assertPayload(during.segment(), THIRD, seed, id);
      }
      // Other threads are not blocked by the eviction in progress.
      Boolean other = join(CompletableFuture.supplyAsync(() -> layer.contains(ArtifactId.of("b"))));
      assertTrue(other);
      return true;
    });

    putThird(layer, "d", 3);
    assertEquals(List.of(a), asked);
    assertFalse(layer.contains(a));
    try (Lease d = layer.get(ArtifactId.of("d"))) {
      assertPayload(d.segment(), THIRD, seed + 3, d.id());
    }
  }

  @Test
  @Timeout(value = 60, unit = SECONDS)
  void evictionInProgress_doesNotBlockAPutOnAnotherThread() throws Exception {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    putThird(layer, "a", 0);
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    CountDownLatch inListener = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    layer.setEvictionListener((tier, id, meta, bytes) -> {
      if (id.equals(a)) {
        inListener.countDown();
        await(release);
      }
      return true;
    });
    MemorySegment d = payload(THIRD, seed + 3);
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      Future<?> slow = other.submit(() -> layer.put(ArtifactId.of("d"), ArtifactMeta.custom(), d));
      await(inListener);
      putThird(layer, "e", 4);
      assertTrue(layer.contains(ArtifactId.of("e")));
      assertTrue(layer.contains(a), "a is still loadable while its listener runs");
      assertFalse(slow.isDone());
      release.countDown();
      slow.get(30, SECONDS);
    } finally {
      release.countDown();
      other.shutdownNow();
    }
    assertEquals(
        Set.of(ArtifactId.of("c"), ArtifactId.of("d"), ArtifactId.of("e")), Set.copyOf(layer.ids()));
  }

  @Test
  void evictionListener_returningFalse_keepsTheArtifact_andTheLayerTriesTheNextVictim() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    ArtifactId b = ArtifactId.of("b");
    putThird(layer, "a", 0);
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    List<ArtifactId> asked = new ArrayList<>();
    layer.setEvictionListener((tier, id, meta, bytes) -> {
      asked.add(id);
      return !id.equals(a);
    });

    putThird(layer, "d", 3);
    assertEquals(List.of(a, b), asked);
    assertTrue(layer.contains(a));
    assertFalse(layer.contains(b));
    try (Lease kept = layer.get(a)) {
      assertPayload(kept.segment(), THIRD, seed, a);
    }
    assertEquals(1, layer.stats().evictions());
  }

  @Test
  void evictionListener_refusingEveryVictim_refusesThePut_andLosesNothing() {
    MemoryLayer layer = open("hot", CAPACITY);
    for (int i = 0; i < 3; i++) {
      putThird(layer, "k" + i, i);
    }
    AtomicInteger asked = new AtomicInteger();
    layer.setEvictionListener((tier, id, meta, bytes) -> {
      asked.incrementAndGet();
      return false;
    });
    long rejected = layer.stats().rejected();

    assertThrows(
        CapacityException.class, () -> layer.put(ArtifactId.of("new"), ArtifactMeta.custom(), payload(THIRD, seed)));
    assertEquals(3, asked.get(), "every victim is asked once per put");
    assertEquals(rejected + 1, layer.stats().rejected());
    assertFalse(layer.contains(ArtifactId.of("new")));
    for (int i = 0; i < 3; i++) {
      try (Lease lease = layer.get(ArtifactId.of("k" + i))) {
        assertPayload(lease.segment(), THIRD, seed + i, lease.id());
      }
    }
  }

  @Test
  void evictionListener_throwing_keepsTheArtifact_andPropagates() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    putThird(layer, "a", 0);
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    IllegalStateException boom = new IllegalStateException("demotion failed");
    layer.setEvictionListener((tier, id, meta, bytes) -> {
      throw boom;
    });

    IllegalStateException thrown = assertThrows(
        IllegalStateException.class, () -> layer.put(ArtifactId.of("d"), ArtifactMeta.custom(), payload(THIRD, seed)));
    assertSame(boom, thrown);
    assertFalse(layer.contains(ArtifactId.of("d")));
    try (Lease kept = layer.get(a)) {
      assertPayload(kept.segment(), THIRD, seed, a);
    }

    layer.setEvictionListener(EvictionListener.DROP);
    putThird(layer, "d", 3);
    assertTrue(layer.contains(ArtifactId.of("d")));
  }

  @Test
  void randomSizes_fillFreeAndRefill_keepSucceeding() {
    MemoryLayer layer = open("hot", CAPACITY);
    SplittableRandom random = new SplittableRandom(seed);
    Map<ArtifactId, long[]> expected = new HashMap<>();
    MemorySegment buffer = arena.allocate(CAPACITY / 2);
    for (int i = 0; i < 600; i++) {
      ArtifactId id = ArtifactId.of("r" + random.nextInt(200));
      if (random.nextInt(4) == 0) {
        layer.delete(id);
        expected.remove(id);
        continue;
      }
      long size = random.nextInt(4) == 0 ? random.nextLong(CAPACITY / 2) : random.nextLong(CAPACITY / 16);
      long s = random.nextLong();
      MemorySegment p = buffer.asSlice(0, size);
      fill(p, s);
      layer.put(id, meta(s, size), p);
      expected.put(id, new long[] {s, size});
      assertTrue(layer.contains(id), "put of " + size + " bytes, step " + i);
    }
    for (ArtifactId id : layer.ids()) {
      try (Lease lease = layer.get(id)) {
        long[] sv = expected.get(id);
        assertNotNull(sv, "layer holds " + id + " which was deleted");
        assertPayload(lease.segment(), sv[1], sv[0], id);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // refusals

  @Test
  void put_largerThanTheLayer_isRefused_andLosesNothing() {
    MemoryLayer layer = open("hot", CAPACITY);
    putThird(layer, "a", 0);
    long size = CAPACITY + 1;
    CapacityException e = assertThrows(
        CapacityException.class, () -> layer.put(ArtifactId.of("huge"), ArtifactMeta.custom(), payload(size, seed)));
    assertTrue(e.getMessage().contains("hot"), "message names the tier: " + e.getMessage());
    assertTrue(e.getMessage().contains(Long.toString(size)), "message names the size: " + e.getMessage());
    assertTrue(layer.contains(ArtifactId.of("a")));
    assertFalse(layer.contains(ArtifactId.of("huge")));
    assertEquals(1, layer.stats().rejected());
    assertEquals(0, layer.stats().evictions());

    assertThrows(CapacityException.class, () -> layer.reserve(ArtifactId.of("huge"), ArtifactMeta.custom(), size));
    assertTrue(layer.contains(ArtifactId.of("a")));
  }

  @Test
  void put_intoALayerFullOfLeases_isRefused_andLosesNothing() {
    MemoryLayer layer = open("hot", CAPACITY);
    List<Lease> leases = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        ArtifactId id = ArtifactId.of("k" + i);
        layer.put(id, ArtifactMeta.custom(), payload(THIRD, seed + i));
        leases.add(layer.get(id));
      }
      CapacityException e = assertThrows(
          CapacityException.class, () -> layer.put(ArtifactId.of("new"), ArtifactMeta.custom(), payload(THIRD, seed)));
      assertTrue(e.getMessage().contains("hot"), "message names the tier: " + e.getMessage());
      assertEquals(1, layer.stats().rejected());
      assertEquals(0, layer.stats().evictions());
      for (int i = 0; i < 3; i++) {
        assertTrue(layer.contains(ArtifactId.of("k" + i)));
        assertPayload(leases.get(i).segment(), THIRD, seed + i, leases.get(i).id());
      }
    } finally {
      leases.forEach(Lease::close);
    }
    putThird(layer, "new", 0);
    assertTrue(layer.contains(ArtifactId.of("new")), "put once the leases were closed");
  }

  @Test
  void put_thatEvictingEverythingEvictableCannotFit_isRefusedBeforeEvictingAnything() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    ArtifactId b = ArtifactId.of("b");
    ArtifactId c = ArtifactId.of("c");
    putThird(layer, "a", 0);
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    assertTrue(layer.pin(c));
    List<ArtifactId> asked = new ArrayList<>();
    layer.setEvictionListener((tier, id, meta, bytes) -> asked.add(id));
    try (Lease leased = layer.get(b)) {
      // Only a can go, and a plus the free space is less than two thirds.
      assertThrows(
          CapacityException.class,
          () -> layer.put(ArtifactId.of("big"), ArtifactMeta.custom(), payload(2L * THIRD, seed + 3)));
      assertEquals(List.of(), asked, "a refused put asked to evict");
      assertEquals(0, layer.stats().evictions());
      assertEquals(Set.of(a, b, c), Set.copyOf(layer.ids()));
      assertPayload(leased.segment(), THIRD, seed + 1, b);
    }
  }

  @Test
  void put_intoALayerFullOfPins_isRefused_andLosesNothing() {
    MemoryLayer layer = open("hot", CAPACITY);
    for (int i = 0; i < 3; i++) {
      ArtifactId id = ArtifactId.of("k" + i);
      layer.put(id, ArtifactMeta.custom(), payload(THIRD, seed + i));
      assertTrue(layer.pin(id));
    }
    assertThrows(
        CapacityException.class, () -> layer.put(ArtifactId.of("new"), ArtifactMeta.custom(), payload(THIRD, seed)));
    assertEquals(3, layer.ids().size());
    assertEquals(3, layer.stats().pinned());
    assertTrue(layer.unpin(ArtifactId.of("k1")));
    putThird(layer, "new", 0);
    assertEquals(Set.of(ArtifactId.of("k0"), ArtifactId.of("k2"), ArtifactId.of("new")), Set.copyOf(layer.ids()));
  }

  // ---------------------------------------------------------------------------------------------
  // reservations

  @Test
  void reserve_isInvisibleUntilCommitted_thenPublishes() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("res");
    ArtifactMeta meta = meta(seed, 12_345);
    Reservation r = layer.reserve(id, meta, 12_345);
    assertEquals(id, r.id());
    assertEquals(12_345, r.segment().byteSize());
    assertFalse(r.segment().isReadOnly());
    fill(r.segment(), seed);
    assertFalse(layer.contains(id), "visible before commit");
    assertNull(layer.get(id));

    r.commit();
    assertThrows(IllegalStateException.class, r::segment, "segment() after commit");
    assertThrows(IllegalStateException.class, r::commit, "second commit");
    r.close();
    try (Lease lease = layer.get(id)) {
      assertEquals(meta, lease.meta());
      assertPayload(lease.segment(), 12_345, seed, id);
    }
    assertEquals(1, layer.stats().puts());
  }

  @Test
  void reserve_closedWithoutCommit_discardsTheSpace() {
    MemoryLayer layer = open("hot", CAPACITY);
    layer.put(ArtifactId.of("a"), ArtifactMeta.custom(), payload(1000, seed));
    long used = layer.stats().usedBytes();
    try (Reservation r = layer.reserve(ArtifactId.of("res"), ArtifactMeta.custom(), THIRD)) {
      fill(r.segment(), seed);
    }
    assertFalse(layer.contains(ArtifactId.of("res")));
    assertEquals(used, layer.stats().usedBytes());
    assertEquals(1, layer.stats().puts());
    assertThrows(
        IllegalStateException.class,
        () -> {
          Reservation r = layer.reserve(ArtifactId.of("res2"), ArtifactMeta.custom(), 10);
          r.close();
          r.commit();
        },
        "commit after close");
    assertFalse(layer.contains(ArtifactId.of("res2")));
  }

  @Test
  void reserve_ofAStoredId_replacesItOnlyOnCommit() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("x");
    layer.put(id, meta(seed, 5000), payload(5000, seed));
    Reservation r = layer.reserve(id, meta(seed + 1, 7000), 7000);
    fill(r.segment(), seed + 1);
    try (Lease before = layer.get(id)) {
      assertPayload(before.segment(), 5000, seed, id);
      r.commit();
      assertPayload(before.segment(), 5000, seed, id);
    }
    try (Lease after = layer.get(id)) {
      assertEquals(meta(seed + 1, 7000), after.meta());
      assertPayload(after.segment(), 7000, seed + 1, id);
    }
  }

  @Test
  void reserve_ofZeroBytes_commitsAnEmptyArtifact() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("empty");
    try (Reservation r = layer.reserve(id, ArtifactMeta.custom(), 0)) {
      assertEquals(0, r.segment().byteSize());
      r.commit();
    }
    try (Lease lease = layer.get(id)) {
      assertEquals(0, lease.size());
    }
  }

  @Test
  void reserve_makesRoomByEviction() {
    MemoryLayer layer = open("hot", CAPACITY);
    for (int i = 0; i < 3; i++) {
      putThird(layer, "k" + i, i);
    }
    try (Reservation r = layer.reserve(ArtifactId.of("new"), ArtifactMeta.custom(), THIRD)) {
      fill(r.segment(), seed + 9);
      r.commit();
    }
    assertFalse(layer.contains(ArtifactId.of("k0")));
    try (Lease lease = layer.get(ArtifactId.of("new"))) {
      assertPayload(lease.segment(), THIRD, seed + 9, lease.id());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // batches

  @Test
  void batches_putGetContainAndDeleteSeveral_inTheGivenOrder() {
    MemoryLayer layer = open("hot", CAPACITY);
    Map<ArtifactId, Map.Entry<ArtifactMeta, MemorySegment>> batch = new LinkedHashMap<>();
    for (int i = 0; i < 5; i++) {
      batch.put(ArtifactId.of("b" + i), Map.entry(meta(seed + i, 1000 + i), payload(1000 + i, seed + i)));
    }
    batch.forEach((id, e) -> layer.put(id, e.getKey(), e.getValue()));
    assertEquals(5, layer.stats().puts());

    List<ArtifactId> wanted = List.of(
        ArtifactId.of("b3"), ArtifactId.of("missing"), ArtifactId.of("b0"), ArtifactId.of("b4"));
    Map<ArtifactId, Lease> leases = BatchAccess.getAll(layer, wanted);
    try {
      assertEquals(List.of(ArtifactId.of("b3"), ArtifactId.of("b0"), ArtifactId.of("b4")), List.copyOf(leases.keySet()));
      for (Map.Entry<ArtifactId, Lease> e : leases.entrySet()) {
        int i = Integer.parseInt(e.getKey().value().substring(1));
        assertEquals(meta(seed + i, 1000 + i), e.getValue().meta());
        assertPayload(e.getValue().segment(), 1000 + i, seed + i, e.getKey());
      }
      assertEquals(3, layer.stats().openLeases());
      assertEquals(3, layer.stats().hits());
      assertEquals(1, layer.stats().misses());
    } finally {
      leases.values().forEach(Lease::close);
    }

    assertEquals(List.of(true, false, true, true), BatchAccess.containsAll(layer, wanted));
    assertEquals(3, BatchAccess.deleteAll(layer, wanted));
    assertEquals(Set.of(ArtifactId.of("b1"), ArtifactId.of("b2")), Set.copyOf(layer.ids()));
  }

  // ---------------------------------------------------------------------------------------------
  // stats

  @Test
  void stats_countEveryOperation_andReturnToZero() {
    MemoryLayer layer = open("hot", CAPACITY);
    LayerStats fresh = layer.stats();
    assertEquals(new LayerStats("hot", CAPACITY, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), fresh);
    assertEquals(CAPACITY, layer.stats().capacityBytes());
    assertEquals("hot", layer.name());

    ArtifactId a = ArtifactId.of("a");
    ArtifactId b = ArtifactId.of("b");
    layer.put(a, ArtifactMeta.custom(), payload(1000, seed));
    layer.put(b, ArtifactMeta.custom(), payload(2000, seed));
    layer.put(b, ArtifactMeta.custom(), payload(3000, seed));
    LayerStats s = layer.stats();
    assertEquals(3, s.puts());
    assertEquals(2, s.artifacts());
    assertTrue(s.usedBytes() >= 4000 && s.usedBytes() <= CAPACITY, "usedBytes " + s.usedBytes());

    layer.contains(a);
    layer.get(a).close();
    Lease open = layer.get(b);
    assertNull(layer.get(ArtifactId.of("nope")));
    layer.pin(a);
    layer.pin(a);
    s = layer.stats();
    assertEquals(2, s.hits());
    assertEquals(1, s.misses());
    assertEquals(1, s.openLeases());
    assertEquals(1, s.pinned(), "pinned counts artifacts, not pins");
    open.close();

    layer.delete(a);
    layer.delete(b);
    s = layer.stats();
    assertEquals(0, s.usedBytes());
    assertEquals(0, s.artifacts());
    assertEquals(0, s.openLeases());
    assertEquals(0, s.pinned());
    assertEquals(0, s.evictions());
    assertEquals(0, s.rejected());
    assertEquals(0, s.corrupt());
  }

  @Test
  void stats_afterEvictions_accountForWhatRemains() {
    MemoryLayer layer = open("hot", CAPACITY);
    for (int i = 0; i < 10; i++) {
      putThird(layer, "k" + i, i);
    }
    LayerStats s = layer.stats();
    assertEquals(10, s.puts());
    assertEquals(7, s.evictions());
    assertEquals(3, s.artifacts());
    assertTrue(s.usedBytes() >= 3L * THIRD && s.usedBytes() <= CAPACITY, "usedBytes " + s.usedBytes());
    BatchAccess.deleteAll(layer, layer.ids());
    assertEquals(0, layer.stats().usedBytes());
  }

  // ---------------------------------------------------------------------------------------------
  // several layers, concurrency, lifecycle

  @Test
  void layersOfOneProvider_underDifferentNames_areIndependent() {
    MemoryLayer hot = open("hot", CAPACITY);
    MemoryLayer warm = open("warm", 2 * CAPACITY);
    ArtifactId id = ArtifactId.of("shared-id");
    hot.put(id, meta(seed, 10), payload(10, seed));
    warm.put(id, meta(seed + 1, 20), payload(20, seed + 1));

    try (Lease h = hot.get(id); Lease w = warm.get(id)) {
      assertEquals("hot", h.tier());
      assertEquals("warm", w.tier());
      assertPayload(h.segment(), 10, seed, id);
      assertPayload(w.segment(), 20, seed + 1, id);
    }
    assertTrue(hot.delete(id));
    assertTrue(warm.contains(id));
    assertEquals("warm", warm.stats().tier());
    assertEquals(2 * CAPACITY, warm.stats().capacityBytes());
  }

  @Test
  @Timeout(value = 120, unit = SECONDS)
  void concurrentPutGetDelete_neverShowTornOrForeignBytes() throws Exception {
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

  @Test
  void close_makesEveryCallThrowLayerUnavailable_butLeavesLeasesAndReservationsClosable() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("a");
    layer.put(id, ArtifactMeta.custom(), payload(100, seed));
    Lease lease = layer.get(id);
    Reservation reservation = layer.reserve(ArtifactId.of("r"), ArtifactMeta.custom(), 100);
    layer.close();

    MemorySegment p = payload(10, seed);
    List<ArtifactId> some = List.of(id);
    Map<String, Executable> calls = new LinkedHashMap<>();
    calls.put("put", () -> layer.put(id, ArtifactMeta.custom(), p));
    calls.put("reserve", () -> layer.reserve(ArtifactId.of("r2"), ArtifactMeta.custom(), 10));
    calls.put("get", () -> layer.get(id));
    calls.put("contains", () -> layer.contains(id));
    calls.put("delete", () -> layer.delete(id));
    calls.put("pin", () -> layer.pin(id));
    calls.put("unpin", () -> layer.unpin(id));
    calls.put("ids", layer::ids);
    calls.put("stats", layer::stats);
    calls.put("setEvictionListener", () -> layer.setEvictionListener(EvictionListener.DROP));
    calls.put("getAll", () -> BatchAccess.getAll(layer, some));
    calls.put("containsAll", () -> BatchAccess.containsAll(layer, some));
    calls.put("deleteAll", () -> BatchAccess.deleteAll(layer, some));
    calls.forEach((name, call) -> assertThrows(LayerUnavailableException.class, call, name + " after close"));

    assertEquals("hot", layer.name());
    layer.close();
    lease.close();
    reservation.close();
  }

  @Test
  void reopen_ofADurableLayer_keepsArtifactsAndMeta() {
    assumeTrue(isDurable(), "the layer is not durable");
    MemoryLayer layer = newLayer("cold", CAPACITY);
    Map<ArtifactId, Long> sizes = new LinkedHashMap<>();
    try {
      for (int i = 0; i < 4; i++) {
        ArtifactId id = ArtifactId.of("d", "k" + i);
        long size = 1 + i * 33_333L;
        layer.put(id, meta(seed + i, size), payload(size, seed + i));
        sizes.put(id, size);
      }
      layer.delete(ArtifactId.of("d", "k1"));
      sizes.remove(ArtifactId.of("d", "k1"));
    } finally {
      layer.close();
    }

    MemoryLayer again = track(reopen("cold", CAPACITY));
    assertEquals(sizes.keySet(), Set.copyOf(again.ids()));
    assertEquals(sizes.size(), again.stats().artifacts());
    for (Map.Entry<ArtifactId, Long> e : sizes.entrySet()) {
      long s = seed + Integer.parseInt(e.getKey().parts()[1].substring(1));
      try (Lease lease = again.get(e.getKey())) {
        assertNotNull(lease, e.getKey().value());
        assertEquals(meta(s, e.getValue()), lease.meta());
        assertPayload(lease.segment(), e.getValue(), s, e.getKey());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // payloads

  /** A native payload of {@code size} bytes filled from {@code seed}, freed after the test. */
  protected final MemorySegment payload(long size, long seed) {
    MemorySegment s = arena.allocate(Math.max(size, 1), 8).asSlice(0, size);
    fill(s, seed);
    return s;
  }

  /** Stores {@code id} with {@link #THIRD} bytes of {@code seed + seedOffset} and custom meta. */
  protected final ArtifactId putThird(MemoryLayer layer, String id, long seedOffset) {
    ArtifactId artifact = ArtifactId.of(id);
    layer.put(artifact, ArtifactMeta.custom(), payload(THIRD, seed + seedOffset));
    return artifact;
  }

  /** Meta naming the payload's seed and size, so a reader can check bytes against it. */
  protected static ArtifactMeta meta(long seed, long size) {
    return ArtifactMeta.builder(ArtifactType.KV_BLOCKS)
        .attribute("seed", Long.toString(seed))
        .attribute("size", Long.toString(size))
        .build();
  }

  /** Fills {@code segment} with the byte stream of {@code seed}. */
  protected static void fill(MemorySegment segment, long seed) {
    long n = segment.byteSize();
    long x = seed;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
      x += GOLDEN;
      segment.set(ValueLayout.JAVA_LONG_UNALIGNED, i, mix(x));
    }
    long last = mix(x + GOLDEN);
    for (; i < n; i++) {
      segment.set(ValueLayout.JAVA_BYTE, i, (byte) last);
      last >>>= 8;
    }
  }

  /** Fails unless {@code actual} holds exactly the {@code size} bytes of {@code seed}. */
  protected static void assertPayload(MemorySegment actual, long size, long seed, ArtifactId id) {
    assertEquals(size, actual.byteSize(), "size of " + id);
    long x = seed;
    long i = 0;
    for (; i + 8 <= size; i += 8) {
      x += GOLDEN;
      if (actual.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != mix(x)) {
        fail("payload of " + id + " (" + size + " bytes, seed " + seed + ") differs in bytes " + i + ".." + (i + 7));
      }
    }
    long last = mix(x + GOLDEN);
    for (; i < size; i++) {
      if (actual.get(ValueLayout.JAVA_BYTE, i) != (byte) last) {
        fail("payload of " + id + " (" + size + " bytes, seed " + seed + ") differs at byte " + i);
      }
      last >>>= 8;
    }
  }

  /** Fails unless the lease's bytes, size and id agree with the seed, size and id in its meta. */
  private static void assertConsistent(Lease lease) {
    ArtifactMeta m = lease.meta();
    assertEquals(lease.id().value(), m.attribute("id"), "meta of another artifact");
    long size = Long.parseLong(m.attribute("size"));
    assertEquals(size, lease.size(), "size disagrees with meta of " + lease.id());
    assertPayload(lease.segment(), size, Long.parseLong(m.attribute("seed")), lease.id());
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(30, SECONDS), "latch not released");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get(30, SECONDS);
    } catch (Exception e) {
      throw new AssertionError("another thread was blocked while an eviction listener ran", e);
    }
  }

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static long masterSeed() {
    String s = System.getProperty("tests.seed");
    if (s == null || s.isBlank()) {
      return mix(System.nanoTime() ^ ProcessHandle.current().pid());
    }
    s = s.trim();
    return s.startsWith("0x") || s.startsWith("0X") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
  }
}
