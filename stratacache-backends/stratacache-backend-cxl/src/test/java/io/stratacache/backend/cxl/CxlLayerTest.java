package io.stratacache.backend.cxl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.CapacityException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.LeaseClosedException;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CxlLayerTest {
  private static final int KIB = 1024;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);

  @TempDir Path dir;
  private final List<CxlLayer> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(CxlLayer::close);
  }

  private Path regionFile() {
    return dir.resolve("region");
  }

  private CxlLayer open(Object... kv) {
    CxlLayer layer = CxlLayer.open(CxlTestRegions.spec(regionFile(), "256KiB", kv));
    opened.add(layer);
    return layer;
  }

  static MemorySegment bytes(long seed, int size) {
    byte[] b = new byte[size];
    new SplittableRandom(seed).nextBytes(b);
    return MemorySegment.ofArray(b);
  }

  /**
   * Waits, up to 30 seconds, until {@code condition} holds: for what the layer's maintenance thread
   * does a few milliseconds after a lease closes.
   */
  static void eventually(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("still not so after 30 s: " + what);
      }
      LockSupport.parkNanos(1_000_000);
    }
  }

  /** Whether reading {@code view} faults (its arena is closed). */
  static boolean faults(MemorySegment view) {
    try {
      view.get(ValueLayout.JAVA_BYTE, 0);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }

  static void assertBytes(long seed, int size, MemorySegment actual) {
    assertEquals(size, actual.byteSize(), "payload size");
    assertEquals(-1, bytes(seed, size).mismatch(actual), "payload differs from seed " + seed);
  }

  private static ArtifactId id(String s) {
    return ArtifactId.of(s);
  }

  private static ArtifactMeta meta(String k, String v) {
    return ArtifactMeta.builder(ArtifactType.PARAM_CHUNK).attribute(k, v).build();
  }

  /** A pid that no process has any more. */
  private static int deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor(30, TimeUnit.SECONDS);
    int pid = (int) p.pid();
    assertFalse(CxlRegionLock.isAlive(pid));
    return pid;
  }

  /** Runs {@code body} on the region file mapped by the test itself (the layers must be closed). */
  private void poke(java.util.function.BiConsumer<MemorySegment, CxlLayout.Geometry> body) throws IOException {
    try (FileChannel ch = FileChannel.open(regionFile(), StandardOpenOption.READ, StandardOpenOption.WRITE);
        Arena arena = Arena.ofConfined()) {
      MemorySegment r = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), arena);
      CxlLayout.Geometry g = CxlLayout.Geometry.of(r.get(LONG, CxlLayout.REGION_BYTES_OFFSET),
          r.get(INT, CxlLayout.SLOT_COUNT_OFFSET), r.get(INT, CxlLayout.BLOCK_BYTES_OFFSET),
          r.get(INT, CxlLayout.ALIGNMENT_OFFSET), r.get(INT, CxlLayout.MAX_PROCESSES_OFFSET));
      body.accept(r, g);
      r.force();
    }
  }

  private static int slotInState(MemorySegment r, CxlLayout.Geometry g, long state) {
    for (int s = 0; s < g.slotCount(); s++) {
      if (r.get(LONG, g.slot(s) + CxlLayout.SLOT_STATE) == state) {
        return s;
      }
    }
    return -1;
  }

  @Test
  void put_thenGet_returnsAZeroCopyViewWithMeta() {
    CxlLayer layer = open();
    layer.put(id("p/1"), meta("dtype", "f16"), bytes(1, 50 * KIB));
    try (Lease l = layer.get(id("p/1"))) {
      assertNotNull(l);
      assertEquals("f16", l.meta().attribute("dtype"));
      assertEquals(ArtifactType.PARAM_CHUNK, l.meta().type());
      assertEquals("shared", l.tier());
      assertTrue(l.segment().isReadOnly());
      assertEquals(0, l.segment().address() % 4096, "payload aligned to the record alignment");
      assertBytes(1, 50 * KIB, l.segment());
      MemorySegment dst = MemorySegment.ofArray(new byte[50 * KIB]);
      l.copyTo(dst);
      assertBytes(1, 50 * KIB, dst);
    }
    assertNull(layer.get(id("p/2")));
    LayerStats s = layer.stats();
    assertEquals(1, s.hits());
    assertEquals(1, s.misses());
    assertEquals(1, s.artifacts());
    assertEquals(56 * KIB, s.usedBytes(), "4 KiB of prefix + 50 KiB + padding to whole blocks");
    assertEquals(256 * KIB, s.capacityBytes());
  }

  @Test
  void put_ofAHeapSegmentOverLongs_roundTrips() {
    CxlLayer layer = open();
    long[] longs = new long[3000];
    for (int i = 0; i < longs.length; i++) {
      longs[i] = i * 0x9E3779B97F4A7C15L;
    }
    MemorySegment payload = MemorySegment.ofArray(longs);
    layer.put(id("longs"), ArtifactMeta.custom(), payload);
    try (Lease l = layer.get(id("longs"))) {
      assertEquals(-1, payload.mismatch(l.segment()));
    }
  }

  @Test
  void put_emptyPayloadAndReplace_roundTrip() {
    CxlLayer layer = open();
    layer.put(id("e"), ArtifactMeta.custom(), MemorySegment.ofArray(new byte[0]));
    try (Lease l = layer.get(id("e"))) {
      assertEquals(0, l.size());
    }
    layer.put(id("e"), meta("v", "2"), bytes(2, 3000));
    try (Lease l = layer.get(id("e"))) {
      assertEquals("2", l.meta().attribute("v"));
      assertBytes(2, 3000, l.segment());
    }
    assertEquals(1, layer.stats().artifacts());
  }

  @Test
  void reopen_findsWhatWasStored() {
    CxlLayer first = open();
    for (int i = 0; i < 20; i++) {
      first.put(id("k" + i), meta("i", String.valueOf(i)), bytes(i, 1000 + i * 100));
    }
    first.delete(id("k3"));
    long used = first.stats().usedBytes();
    first.close();
    assertThrows(LayerUnavailableException.class, () -> first.get(id("k1")));
    CxlLayer second = open();
    assertEquals(19, second.recoveredArtifacts());
    assertEquals(used, second.stats().usedBytes());
    assertFalse(second.contains(id("k3")));
    for (int i = 0; i < 20; i++) {
      if (i != 3) {
        try (Lease l = second.get(id("k" + i))) {
          assertEquals(String.valueOf(i), l.meta().attribute("i"));
          assertBytes(i, 1000 + i * 100, l.segment());
        }
      }
    }
    assertEquals(19, second.ids().size());
  }

  @Test
  void resetMetadata_clearsTheRegionAndBumpsTheGeneration() {
    CxlLayer first = open();
    long generation = first.generation();
    first.put(id("a"), ArtifactMeta.custom(), bytes(1, 100));
    first.close();
    CxlLayer second = open("reset_metadata", true);
    assertEquals(generation + 1, second.generation());
    assertFalse(second.contains(id("a")));
    assertEquals(0, second.stats().usedBytes());
  }

  @Test
  void resetMetadata_isRefusedWhileAnotherProcessEntryIsLive() {
    CxlLayer first = open();
    first.put(id("a"), ArtifactMeta.custom(), bytes(1, 100));
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class, () -> open("reset_metadata", true));
    assertTrue(e.getMessage().contains("another live process"), e.getMessage());
    assertTrue(first.contains(id("a")));
  }

  @Test
  void twoAttachments_seeEachOthersStoresAndDeletes() {
    CxlLayer a = open();
    CxlLayer b = open();
    a.put(id("x"), meta("from", "a"), bytes(7, 20 * KIB));
    try (Lease l = b.get(id("x"))) {
      assertEquals("a", l.meta().attribute("from"));
      assertBytes(7, 20 * KIB, l.segment());
    }
    assertTrue(b.delete(id("x")));
    assertFalse(a.contains(id("x")));
    b.put(id("y"), ArtifactMeta.custom(), bytes(8, 10));
    assertEquals(List.of(id("y")), a.ids());
    assertEquals(a.stats().usedBytes(), b.stats().usedBytes());
  }

  @Test
  void heldSlot_isNotReusedByAnyAttachment_untilTheLeaseCloses() {
    CxlLayer a = open();
    CxlLayer b = open();
    a.put(id("x"), ArtifactMeta.custom(), bytes(1, 60 * KIB));
    Lease held = b.get(id("x"));
    assertTrue(a.delete(id("x")));
    assertEquals(64 * KIB, a.stats().usedBytes(), "retired, still allocated while held");
    for (int i = 0; i < 12; i++) {
      a.put(id("fill" + i), ArtifactMeta.custom(), bytes(100 + i, 60 * KIB));
    }
    assertEquals(256 * KIB, a.stats().usedBytes());
    assertBytes(1, 60 * KIB, held.segment());
    held.close();
    assertEquals(192 * KIB, a.stats().usedBytes(), "freed on the last release");
    a.put(id("after"), ArtifactMeta.custom(), bytes(2, 60 * KIB));
    assertEquals(256 * KIB, a.stats().usedBytes());
  }

  @Test
  void replaceWhileLeased_keepsOldBytesForTheLease() {
    CxlLayer layer = open();
    layer.put(id("r"), meta("v", "1"), bytes(1, 30 * KIB));
    Lease old = layer.get(id("r"));
    layer.put(id("r"), meta("v", "2"), bytes(2, 30 * KIB));
    for (int i = 0; i < 20; i++) {
      layer.put(id("f" + i), ArtifactMeta.custom(), bytes(50 + i, 30 * KIB));
    }
    assertEquals("1", old.meta().attribute("v"));
    assertBytes(1, 30 * KIB, old.segment());
    old.close();
  }

  @Test
  void lease_afterClose_throwsAndStaleViewCannotBeRead() {
    CxlLayer layer = open();
    layer.put(id("c"), ArtifactMeta.custom(), bytes(4, 8 * KIB));
    Lease l = layer.get(id("c"));
    MemorySegment stale = l.segment();
    l.close();
    l.close();
    assertThrows(LeaseClosedException.class, l::segment);
    assertThrows(LeaseClosedException.class, l::meta);
    assertThrows(LeaseClosedException.class, () -> l.copyTo(MemorySegment.ofArray(new byte[8 * KIB])));
    assertEquals(0, layer.stats().openLeases());
    eventually(() -> faults(stale), "a view kept past its lease faults once the lease's group retires");
  }

  @Test
  void put_largerThanTier_isRefusedAndNothingIsLost() {
    CxlLayer layer = open();
    layer.put(id("keep"), ArtifactMeta.custom(), bytes(1, 100 * KIB));
    CapacityException e = assertThrows(CapacityException.class,
        () -> layer.put(id("big"), ArtifactMeta.custom(), bytes(2, 256 * KIB)));
    assertTrue(e.getMessage().contains("big"), e.getMessage());
    assertTrue(layer.contains(id("keep")));
    assertEquals(1, layer.stats().rejected());
  }

  @Test
  void eviction_followsLruAndHandsListenerTheVerifiedPayload() {
    CxlLayer layer = open();
    List<String> evicted = new ArrayList<>();
    layer.setEvictionListener((tier, vid, meta, payload) -> {
      assertEquals("shared", tier);
      int n = Integer.parseInt(vid.value());
      assertEquals(String.valueOf(n), meta.attribute("n"));
      assertBytes(n, 60 * KIB, payload);
      evicted.add(vid.value());
      return true;
    });
    for (int i = 0; i < 4; i++) {
      layer.put(id(String.valueOf(i)), meta("n", String.valueOf(i)), bytes(i, 60 * KIB));
    }
    layer.get(id("0")).close();
    layer.put(id("4"), meta("n", "4"), bytes(4, 60 * KIB));
    layer.put(id("5"), meta("n", "5"), bytes(5, 60 * KIB));
    assertEquals(List.of("1", "2"), evicted);
    assertTrue(layer.contains(id("0")));
    assertEquals(2, layer.stats().evictions());
    assertEquals(4, layer.stats().artifacts());
  }

  @Test
  void eviction_refusalKeepsTheVictim_andAThrowingListenerPropagates() {
    CxlLayer layer = open();
    List<String> asked = new ArrayList<>();
    IllegalStateException boom = new IllegalStateException("lower tier down");
    layer.setEvictionListener((tier, vid, meta, payload) -> {
      asked.add(vid.value());
      if (vid.value().equals("1")) {
        throw boom;
      }
      return !vid.value().equals("0");
    });
    for (int i = 0; i < 4; i++) {
      layer.put(id(String.valueOf(i)), ArtifactMeta.custom(), bytes(i, 60 * KIB));
    }
    assertEquals(boom, assertThrows(IllegalStateException.class,
        () -> layer.put(id("4"), ArtifactMeta.custom(), bytes(4, 60 * KIB))));
    assertEquals(List.of("0", "1"), asked);
    assertTrue(layer.contains(id("0")) && layer.contains(id("1")));
    assertFalse(layer.contains(id("4")));
    assertEquals(4 * 64 * KIB, layer.stats().usedBytes(), "nothing claimed is left behind");
    layer.setEvictionListener((tier, vid, meta, payload) -> !vid.value().equals("0"));
    layer.put(id("4"), ArtifactMeta.custom(), bytes(4, 60 * KIB));
    assertTrue(layer.contains(id("0")));
    assertFalse(layer.contains(id("1")), "the throwing listener's victim was unmarked and can go now");
  }

  @Test
  void eviction_skipsLeasedAndPinned_andRefusesWhenEverythingIsHeld() {
    CxlLayer layer = open("capacity", "192KiB");
    for (int i = 0; i < 3; i++) {
      layer.put(id(String.valueOf(i)), ArtifactMeta.custom(), bytes(i, 60 * KIB));
    }
    Lease leased = layer.get(id("0"));
    assertTrue(layer.pin(id("1")));
    assertTrue(layer.pin(id("1")));
    layer.put(id("3"), ArtifactMeta.custom(), bytes(3, 60 * KIB));
    assertFalse(layer.contains(id("2")));
    assertTrue(layer.pin(id("3")));
    assertThrows(CapacityException.class, () -> layer.put(id("4"), ArtifactMeta.custom(), bytes(4, 60 * KIB)));
    assertEquals(2, layer.stats().pinned());
    assertTrue(layer.unpin(id("1")));
    assertThrows(CapacityException.class, () -> layer.put(id("4"), ArtifactMeta.custom(), bytes(4, 60 * KIB)));
    assertTrue(layer.unpin(id("1")));
    assertFalse(layer.unpin(id("1")));
    layer.put(id("4"), ArtifactMeta.custom(), bytes(4, 60 * KIB));
    assertFalse(layer.contains(id("1")));
    assertTrue(layer.contains(id("0")));
    leased.close();
  }

  @Test
  void put_thatEvictingEverythingEvictableCannotFit_isRefusedBeforeEvictingAnything() {
    CxlLayer layer = open("capacity", "192KiB");
    for (int i = 0; i < 3; i++) {
      layer.put(id(String.valueOf(i)), ArtifactMeta.custom(), bytes(i, 60 * KIB));
    }
    assertTrue(layer.pin(id("2")));
    List<String> asked = new ArrayList<>();
    layer.setEvictionListener((tier, vid, meta, payload) -> asked.add(vid.value()));
    try (Lease leased = layer.get(id("1"))) {
      CapacityException e = assertThrows(CapacityException.class,
          () -> layer.put(id("big"), ArtifactMeta.custom(), bytes(9, 124 * KIB)));
      assertTrue(e.getMessage().contains("nothing was evicted") || e.getMessage().contains("no room"), e.getMessage());
      assertEquals(List.of(), asked, "a put that cannot fit asked to evict");
      assertEquals(0, layer.stats().evictions());
      assertEquals(3, layer.stats().artifacts());
      assertBytes(1, 60 * KIB, leased.segment());
    }
    layer.put(id("fits"), ArtifactMeta.custom(), bytes(10, 60 * KIB));
    assertEquals(List.of("0"), asked, "a put that can fit evicts what it needs");
  }

  @Test
  void pinByOneAttachment_protectsFromEvictionByAnother() {
    CxlLayer a = open("capacity", "128KiB");
    CxlLayer b = open("capacity", "128KiB");
    a.put(id("pinned"), ArtifactMeta.custom(), bytes(1, 60 * KIB));
    assertTrue(a.pin(id("pinned")));
    b.put(id("x"), ArtifactMeta.custom(), bytes(2, 60 * KIB));
    b.put(id("y"), ArtifactMeta.custom(), bytes(3, 60 * KIB));
    assertTrue(b.contains(id("pinned")));
    assertFalse(b.contains(id("x")));
  }

  @Test
  void eviction_listenerRunsWithoutLocks_victimStaysLoadable() throws Exception {
    CxlLayer layer = open("capacity", "128KiB");
    CxlLayer other = open("capacity", "128KiB");
    layer.put(id("victim"), ArtifactMeta.custom(), bytes(1, 60 * KIB));
    layer.put(id("keep"), ArtifactMeta.custom(), bytes(2, 60 * KIB));
    CountDownLatch inListener = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    layer.setEvictionListener((tier, vid, meta, payload) -> {
      inListener.countDown();
      try {
        return release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<?> put = pool.submit(() -> layer.put(id("new"), ArtifactMeta.custom(), bytes(3, 60 * KIB)));
      assertTrue(inListener.await(30, TimeUnit.SECONDS));
      try (Lease v = other.get(id("victim"))) {
        assertBytes(1, 60 * KIB, v.segment());
      }
      try (Lease k = layer.get(id("keep"))) {
        assertBytes(2, 60 * KIB, k.segment());
      }
      assertTrue(other.delete(id("keep")));
      other.put(id("small"), ArtifactMeta.custom(), bytes(4, 100));
      release.countDown();
      put.get(30, TimeUnit.SECONDS);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
    assertFalse(layer.contains(id("victim")));
    assertTrue(layer.contains(id("new")) && layer.contains(id("small")));
  }

  @Test
  void allocator_reusesFreedHolesAndEvictsToMakeAContiguousRun() {
    CxlLayer layer = open();
    List<String> evicted = new ArrayList<>();
    layer.setEvictionListener((tier, vid, meta, payload) -> evicted.add(vid.value()));
    for (int i = 0; i < 8; i++) {
      layer.put(id("s" + i), ArtifactMeta.custom(), bytes(i, 28 * KIB));
    }
    assertEquals(256 * KIB, layer.stats().usedBytes());
    for (int i = 0; i < 8; i += 2) {
      layer.delete(id("s" + i));
    }
    assertEquals(128 * KIB, layer.stats().usedBytes());
    layer.put(id("t0"), ArtifactMeta.custom(), bytes(20, 28 * KIB));
    assertEquals(List.of(), evicted, "a hole of the same size is reused");
    layer.put(id("big"), ArtifactMeta.custom(), bytes(21, 60 * KIB));
    assertEquals(1, evicted.size(), "three free holes of 32 KiB are not contiguous: one neighbour goes");
    try (Lease l = layer.get(id("big"))) {
      assertBytes(21, 60 * KIB, l.segment());
    }
    for (ArtifactId each : layer.ids()) {
      layer.delete(each);
    }
    assertEquals(0, layer.stats().usedBytes());
    layer.put(id("whole"), ArtifactMeta.custom(), bytes(22, 252 * KIB));
    try (Lease l = layer.get(id("whole"))) {
      assertBytes(22, 252 * KIB, l.segment());
    }
  }

  @Test
  void slotTableFull_evictsEvenWithFreeBlocks() {
    CxlLayer layer = open("slots", 4);
    for (int i = 0; i < 6; i++) {
      layer.put(id("s" + i), ArtifactMeta.custom(), bytes(i, 100));
    }
    assertEquals(4, layer.stats().artifacts());
    assertEquals(2, layer.stats().evictions());
    assertFalse(layer.contains(id("s0")) || layer.contains(id("s1")));
  }

  @Test
  void reservation_isInvisibleUntilCommittedAndGivesRoomBackWhenClosed() {
    CxlLayer a = open();
    CxlLayer b = open();
    try (CxlReservation r = a.reserve(id("res"), meta("k", "v"), 10 * KIB)) {
      MemorySegment seg = r.segment();
      assertEquals(10 * KIB, seg.byteSize());
      MemorySegment.copy(bytes(5, 10 * KIB), 0, seg, 0, 10 * KIB);
      assertFalse(b.contains(id("res")));
      assertNull(a.get(id("res")));
      assertEquals(16 * KIB, b.stats().usedBytes());
      r.commit();
      assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_BYTE, 0));
      assertThrows(IllegalStateException.class, r::segment);
    }
    try (Lease l = b.get(id("res"))) {
      assertEquals("v", l.meta().attribute("k"));
      assertBytes(5, 10 * KIB, l.segment());
    }
    CxlReservation dropped = a.reserve(id("gone"), ArtifactMeta.custom(), 100 * KIB);
    assertEquals(16 * KIB + 104 * KIB, a.stats().usedBytes());
    dropped.close();
    assertEquals(16 * KIB, a.stats().usedBytes());
    assertFalse(b.contains(id("gone")));
  }

  @Test
  void get_corruptPayload_isDroppedCountedAndAbsent() throws IOException {
    CxlLayer layer = open();
    layer.put(id("bad"), ArtifactMeta.custom(), bytes(1, 10 * KIB));
    layer.put(id("good"), ArtifactMeta.custom(), bytes(2, 10 * KIB));
    layer.close();
    poke((r, g) -> {
      for (int s = 0; s < g.slotCount(); s++) {
        long so = g.slot(s);
        if (r.get(LONG, so + CxlLayout.SLOT_STATE) == CxlLayout.COMMITTED) {
          long at = g.dataOffset() + r.get(LONG, so + CxlLayout.SLOT_RECORD_OFFSET) + 4096 + 777;
          MemorySegment rec = r.asSlice(g.dataOffset() + r.get(LONG, so + CxlLayout.SLOT_RECORD_OFFSET), 4096);
          if (new String(rec.asSlice(24, 40).toArray(ValueLayout.JAVA_BYTE)).contains("\"bad\"")) {
            r.set(ValueLayout.JAVA_BYTE, at, (byte) (r.get(ValueLayout.JAVA_BYTE, at) ^ 1));
          }
        }
      }
    });
    CxlLayer again = open();
    assertTrue(again.contains(id("bad")), "loads check the payload, recovery only the slots");
    assertNull(again.get(id("bad")));
    assertFalse(again.contains(id("bad")));
    assertEquals(1, again.stats().corrupt());
    assertEquals(16 * KIB, again.stats().usedBytes());
    try (Lease l = again.get(id("good"))) {
      assertBytes(2, 10 * KIB, l.segment());
    }
  }

  @Test
  void verifyOnce_checksACommitOnItsFirstLoadOnly_verifyAlwaysOnEveryLoad() throws IOException {
    CxlLayer always = open("verify", "always");
    always.put(id("v"), ArtifactMeta.custom(), bytes(1, 10 * KIB));
    always.get(id("v")).close();
    always.close();
    flipFirstPayloadByte();
    CxlLayer again = open();
    again.get(id("v"));
    assertEquals(1, again.stats().corrupt(), "verify: always checks every load");
    again.close();

    CxlLayer once = open("verify", "once", "reset_metadata", true);
    once.put(id("w"), ArtifactMeta.custom(), bytes(2, 10 * KIB));
    try (Lease first = once.get(id("w"))) {
      assertBytes(2, 10 * KIB, first.segment());
    }
    flipFirstPayloadByte();
    try (Lease trusted = once.get(id("w"))) {
      assertNotNull(trusted, "verify: once trusts a commit it has checked");
    }
    once.put(id("w"), ArtifactMeta.custom(), bytes(3, 10 * KIB));
    try (Lease fresh = once.get(id("w"))) {
      assertBytes(3, 10 * KIB, fresh.segment());
    }
  }

  /** Flips the first payload byte of every committed record, through a mapping of the test's own. */
  private void flipFirstPayloadByte() throws IOException {
    poke((r, g) -> {
      for (int s = 0; s < g.slotCount(); s++) {
        long so = g.slot(s);
        if (r.get(LONG, so + CxlLayout.SLOT_STATE) == CxlLayout.COMMITTED) {
          long at = g.dataOffset() + r.get(LONG, so + CxlLayout.SLOT_RECORD_OFFSET) + r.get(LONG, so + CxlLayout.SLOT_RECORD_LENGTH)
              - r.get(LONG, so + CxlLayout.SLOT_PAYLOAD_LENGTH);
          r.set(ValueLayout.JAVA_BYTE, at, (byte) (r.get(ValueLayout.JAVA_BYTE, at) ^ 1));
        }
      }
    });
  }

  @Test
  void open_repairsWhatDeadProcessesLeft() throws Exception {
    CxlLayer first = open();
    first.put(id("a"), ArtifactMeta.custom(), bytes(1, 60 * KIB));
    first.put(id("b"), ArtifactMeta.custom(), bytes(2, 60 * KIB));
    first.close();
    int dead = deadPid();
    long deadOwner = (long) dead << 32 | 12345;
    poke((r, g) -> {
      // A dead writer's half-written slot holding the last 128 KiB of blocks.
      int s = slotInState(r, g, CxlLayout.FREE);
      long so = g.slot(s);
      r.set(LONG, so + CxlLayout.SLOT_OWNER, deadOwner);
      r.set(LONG, so + CxlLayout.SLOT_RECORD_OFFSET, 128 * KIB);
      r.set(LONG, so + CxlLayout.SLOT_RECORD_LENGTH, 128 * KIB);
      r.set(LONG, so + CxlLayout.SLOT_STATE, CxlLayout.WRITING);
      for (long b = 32; b < 64; b++) {
        long w = g.bitmapWord(b);
        r.set(LONG, w, r.get(LONG, w) | 1L << (b & 63));
      }
      // A dead evicter's mark on "a", and the region lock left held by the dead process.
      int committed = slotInState(r, g, CxlLayout.COMMITTED);
      r.set(LONG, g.slot(committed) + CxlLayout.SLOT_OWNER, deadOwner);
      r.set(LONG, g.slot(committed) + CxlLayout.SLOT_STATE, CxlLayout.EVICTING);
      r.set(LONG, CxlLayout.LOCK_OFFSET, CxlRegionLock.word(dead, System.currentTimeMillis() + 3_600_000));
    });
    CxlLayer second = open();
    assertEquals(1, second.lockBreaks());
    assertEquals(1, second.abandonedWritesReclaimed());
    assertEquals(128 * KIB, second.stats().usedBytes());
    assertEquals(2, second.stats().artifacts());
    second.put(id("c"), ArtifactMeta.custom(), bytes(3, 124 * KIB));
    assertEquals(List.of(), second.ids().stream().filter(i -> !Set.of("a", "b", "c").contains(i.value())).toList());
    try (Lease l = second.get(id("a"))) {
      assertBytes(1, 60 * KIB, l.segment());
    }
  }

  @Test
  void regionLock_withExpiredLeaseOrStaleOwnPid_isBroken() throws Exception {
    CxlLayer first = open();
    first.put(id("a"), ArtifactMeta.custom(), bytes(1, 100));
    first.close();
    poke((r, g) -> r.set(LONG, CxlLayout.LOCK_OFFSET, CxlRegionLock.word(1, System.currentTimeMillis() - 1000)));
    CxlLayer second = open();
    assertEquals(1, second.lockBreaks(), "pid 1 is alive but its lease ran out");
    second.close();
    int self = (int) ProcessHandle.current().pid();
    poke((r, g) -> r.set(LONG, CxlLayout.LOCK_OFFSET, CxlRegionLock.word(self, System.currentTimeMillis() + 3_600_000)));
    CxlLayer third = open();
    assertEquals(2, third.lockBreaks(), "a word naming this pid that no thread here holds is a previous life's");
    assertTrue(third.contains(id("a")));
  }

  @Test
  void open_refusesAForeignOrTooSmallRegion() throws IOException {
    CxlLayer first = open();
    first.close();
    poke((r, g) -> r.set(INT, CxlLayout.VERSION_OFFSET, 99));
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class, this::open);
    assertTrue(e.getMessage().contains("layout version 99 (expected: 1)"), e.getMessage());
    assertTrue(e.getMessage().contains("reset_metadata: true"), e.getMessage());
    open("reset_metadata", true).close();

    Map<String, Object> tiny = Map.of("path", dir.resolve("tiny").toString(), "size", "64KiB");
    LayerUnavailableException small = assertThrows(LayerUnavailableException.class,
        () -> CxlLayer.open(LayerSpec.of("shared", "cxl", tiny)));
    assertTrue(small.getMessage().contains("too small"), small.getMessage());
  }

  @Test
  void close_makesCallsThrowButKeepsOpenLeasesReadable() {
    CxlLayer layer = open();
    layer.put(id("a"), ArtifactMeta.custom(), bytes(1, 10 * KIB));
    Lease l = layer.get(id("a"));
    layer.close();
    layer.close();
    ArtifactId a = id("a");
    assertThrows(LayerUnavailableException.class, () -> layer.put(a, ArtifactMeta.custom(), bytes(1, 1)));
    assertThrows(LayerUnavailableException.class, () -> layer.get(a));
    assertThrows(LayerUnavailableException.class, () -> layer.contains(a));
    assertThrows(LayerUnavailableException.class, () -> layer.delete(a));
    assertThrows(LayerUnavailableException.class, () -> layer.pin(a));
    assertThrows(LayerUnavailableException.class, layer::ids);
    assertThrows(LayerUnavailableException.class, layer::stats);
    assertThrows(LayerUnavailableException.class, () -> layer.reserve(a, ArtifactMeta.custom(), 1));
    assertThrows(LayerUnavailableException.class, () -> layer.setEvictionListener(io.stratacache.spi.EvictionListener.DROP));
    assertEquals("shared", layer.name());
    assertEquals(256 * KIB, layer.capacityBytes());
    assertBytes(1, 10 * KIB, l.segment());
    l.close();
    CxlLayer again = open();
    assertTrue(again.contains(a));
  }

  @Test
  void randomOperations_matchAModel_acrossTwoAttachments() {
    long seed = Long.getLong("tests.seed", System.nanoTime());
    CxlLayer a = open("slots", 16, "capacity", "512KiB");
    CxlLayer b = open();
    Map<ArtifactId, Long> model = new HashMap<>();
    a.setEvictionListener((tier, vid, meta, payload) -> model.remove(vid) != null || true);
    b.setEvictionListener((tier, vid, meta, payload) -> model.remove(vid) != null || true);
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int op = 0; op < 3000; op++) {
      CxlLayer layer = rnd.nextBoolean() ? a : b;
      ArtifactId k = id("k" + rnd.nextInt(40));
      int r = rnd.nextInt(10);
      if (r < 4) {
        long s = rnd.nextLong();
        layer.put(k, meta("seed", Long.toString(s)), bytes(s, 1 + rnd.nextInt(40 * KIB)));
        model.put(k, s);
      } else if (r < 7) {
        try (Lease l = layer.get(k)) {
          Long expected = model.get(k);
          assertEquals(expected != null, l != null, "op " + op + " " + k + " (reproduce with -Dtests.seed=" + seed + ")");
          if (l != null) {
            assertEquals(expected.toString(), l.meta().attribute("seed"), "seed " + seed);
            assertEquals(-1, bytes(expected, (int) l.size()).mismatch(l.segment()), "seed " + seed);
          }
        }
      } else if (r < 9) {
        assertEquals(model.remove(k) != null, layer.delete(k), "op " + op + " (reproduce with -Dtests.seed=" + seed + ")");
      } else {
        assertEquals(model.containsKey(k), layer.contains(k), "op " + op + " (reproduce with -Dtests.seed=" + seed + ")");
      }
    }
    Set<ArtifactId> stored = new HashSet<>(a.ids());
    assertEquals(model.keySet(), stored, "seed " + seed);
    assertEquals(model.size(), a.stats().artifacts(), "seed " + seed);
    a.close();
    b.close();
    CxlLayer reopened = open();
    assertEquals(model.keySet(), new HashSet<>(reopened.ids()), "seed " + seed);
    long used = reopened.stats().usedBytes();
    for (ArtifactId k : model.keySet()) {
      reopened.delete(k);
    }
    assertTrue(used > 0);
    assertEquals(0, reopened.stats().usedBytes(), "seed " + seed);
  }

  @Test
  void concurrentThreadsOnTwoAttachments_neverSeeMixedBytes() throws Exception {
    long seed = Long.getLong("tests.seed", System.nanoTime());
    CxlLayer a = open("capacity", "1MiB");
    CxlLayer b = open();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      CxlLayer layer = t % 2 == 0 ? a : b;
      long threadSeed = seed + t;
      futures.add(pool.submit(() -> {
        SplittableRandom rnd = new SplittableRandom(threadSeed);
        for (int op = 0; op < 400; op++) {
          ArtifactId k = id("k" + rnd.nextInt(24));
          int r = rnd.nextInt(10);
          if (r < 4) {
            long s = rnd.nextLong();
            int size = 1 + rnd.nextInt(90 * KIB);
            try {
              layer.put(k, ArtifactMeta.builder(ArtifactType.CUSTOM).attribute("seed", Long.toString(s))
                  .attribute("size", Integer.toString(size)).build(), bytes(s, size));
            } catch (CapacityException e) {
              // every other artifact was held at that moment: allowed
            }
          } else if (r < 8) {
            try (Lease l = layer.get(k)) {
              if (l != null) {
                assertBytes(Long.parseLong(l.meta().attribute("seed")), Integer.parseInt(l.meta().attribute("size")),
                    l.segment());
              }
            }
          } else if (r < 9) {
            layer.delete(k);
          } else if (layer.pin(k)) {
            layer.unpin(k);
          }
        }
        return null;
      }));
    }
    try {
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("reproduce with -Dtests.seed=" + seed, e.getCause());
    } finally {
      pool.shutdownNow();
    }
    LayerStats s = a.stats();
    assertTrue(s.usedBytes() <= s.capacityBytes(), "seed " + seed);
    assertEquals(0, s.openLeases() + b.stats().openLeases());
    assertEquals(0, s.corrupt() + b.stats().corrupt(), "seed " + seed);
    assertEquals(s.artifacts(), a.ids().size(), "seed " + seed);
    long expectedUsed = 0;
    for (ArtifactId k : a.ids()) {
      try (Lease l = a.get(k)) {
        long record = 4096 + l.size();
        expectedUsed += (record + 4095) / 4096 * 4096;
      }
    }
    // a record deleted or replaced while a lease group still held its slot keeps its blocks until
    // that group retires: a few milliseconds after its thread's last lease, on the maintenance thread
    long expected = expectedUsed;
    eventually(() -> a.stats().usedBytes() == expected, "blocks of retired records freed (seed " + seed + ")");
    assertEquals(expectedUsed, a.stats().usedBytes(), "no leaked blocks (seed " + seed + ")");
  }
}
