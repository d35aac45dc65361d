package io.stratacache.backend.cxl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases taken together share one arena: views fault once it closes, and slots are not reused before. */
class CxlLeaseGroupsTest {
  private static final int KIB = 1024;

  @TempDir Path dir;
  private final List<CxlLayer> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(CxlLayer::close);
  }

  private CxlLayer open() {
    return open(CxlLeaseGroups.IDLE_MILLIS);
  }

  /** A layer whose idle lease groups retire after {@code idleMillis} (an hour: only when something asks). */
  private CxlLayer open(long idleMillis) {
    CxlLayer layer = CxlLayer.open("shared", CxlConfig.from(LayerSpec.of("shared", "cxl",
        Map.of("path", dir.resolve("region").toString(), "capacity", "64KiB", "slots", 64))), idleMillis);
    opened.add(layer);
    return layer;
  }

  private static final long AN_HOUR_MS = 3_600_000;

  private static ArtifactId id(String s) {
    return ArtifactId.of(s);
  }

  @Test
  void closedLeaseOfAnOpenGroup_keepsItsSlotFromReuse_andItsKeptViewReadsItsOwnBytes() {
    CxlLayer a = open();
    CxlLayer b = open();
    a.put(id("x"), ArtifactMeta.custom(), CxlLayerTest.bytes(1, 20 * KIB));
    a.put(id("y"), ArtifactMeta.custom(), CxlLayerTest.bytes(2, 20 * KIB));
    Lease x = a.get(id("x"));
    Lease y = a.get(id("y"));
    MemorySegment keptX = x.segment();
    x.close();
    assertTrue(a.delete(id("x")));
    // x's blocks are still held by the open group: another attachment cannot put them to use.
    assertThrows(io.stratacache.core.CapacityException.class,
        () -> b.put(id("z"), ArtifactMeta.custom(), CxlLayerTest.bytes(3, 20 * KIB)));
    CxlLayerTest.assertBytes(1, 20 * KIB, keptX);
    CxlLayerTest.assertBytes(2, 20 * KIB, y.segment());

    y.close();
    assertThrows(IllegalStateException.class, () -> keptX.get(ValueLayout.JAVA_BYTE, 0));
    b.put(id("z"), ArtifactMeta.custom(), CxlLayerTest.bytes(3, 20 * KIB));
    assertTrue(b.contains(id("z")) && a.contains(id("y")));
    assertEquals(0, a.stats().openLeases());
  }

  @Test
  void manyLeasesTakenTogether_spanGroups_andEveryViewFaultsOnceItsGroupRetires() {
    CxlLayer layer = open(AN_HOUR_MS);
    layer.put(id("p"), ArtifactMeta.custom(), CxlLayerTest.bytes(5, 4 * KIB));
    layer.put(id("q"), ArtifactMeta.custom(), CxlLayerTest.bytes(6, 4 * KIB));
    int n = 3 * CxlLeaseGroups.SIZE + 5;
    List<Lease> leases = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Lease l = layer.get(id(i % 2 == 0 ? "p" : "q"));
      assertNotNull(l);
      leases.add(l);
    }
    List<MemorySegment> kept = leases.stream().map(Lease::segment).toList();
    assertEquals(n, layer.stats().openLeases());
    for (int i = 0; i < n; i++) {
      CxlLayerTest.assertBytes(i % 2 == 0 ? 5 : 6, 4 * KIB, kept.get(i));
    }
    leases.forEach(Lease::close);
    assertEquals(0, layer.stats().openLeases());
    for (int i = 0; i < 3 * CxlLeaseGroups.SIZE; i++) {
      assertTrue(CxlLayerTest.faults(kept.get(i)), "a full group retires with its last lease");
    }
    for (int i = 3 * CxlLeaseGroups.SIZE; i < n; i++) {
      CxlLayerTest.assertBytes(i % 2 == 0 ? 5 : 6, 4 * KIB, kept.get(i)); // its own bytes, until the group retires
    }
    assertTrue(layer.delete(id("p")), "a delete retires the idle group holding the slot");
    for (MemorySegment s : kept) {
      assertTrue(CxlLayerTest.faults(s));
    }
    assertTrue(layer.delete(id("q")));
    assertEquals(0, layer.stats().usedBytes(), "no slot stays held once every group closed");
    assertFalse(layer.contains(id("p")));
  }

  @Test
  void leasesTakenOneAtATime_shareAGroup_thatRetiresWhenIdle_thenTheirViewsFault() {
    CxlLayer layer = open();
    layer.put(id("s"), ArtifactMeta.custom(), CxlLayerTest.bytes(7, 4 * KIB));
    List<MemorySegment> views = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      try (Lease l = layer.get(id("s"))) {
        views.add(l.segment());
      }
    }
    for (MemorySegment v : views) {
      CxlLayerTest.eventually(() -> CxlLayerTest.faults(v), "an idle group retires after a few milliseconds");
    }
    assertTrue(layer.delete(id("s")));
    CxlLayerTest.eventually(() -> layer.stats().usedBytes() == 0, "the slot is freed once its group retired");

    layer.put(id("s"), ArtifactMeta.custom(), CxlLayerTest.bytes(8, 4 * KIB));
    Lease open = layer.get(id("s"));
    layer.close();
    CxlLayerTest.assertBytes(8, 4 * KIB, open.segment());
    open.close();
    assertFalse(open.isOpen());
  }

  @Test
  void idleGroupOfOneAttachment_isRetiredForAStoreOfAnother_thatNeedsItsRoom() {
    CxlLayer a = open();
    CxlLayer b = open();
    a.put(id("x"), ArtifactMeta.custom(), CxlLayerTest.bytes(1, 28 * KIB));
    a.put(id("y"), ArtifactMeta.custom(), CxlLayerTest.bytes(2, 28 * KIB));
    assertTrue(a.pin(id("y")), "so that only x's room can take z");
    try (Lease l = b.get(id("x"))) {
      CxlLayerTest.assertBytes(1, 28 * KIB, l.segment());
    }
    assertTrue(a.delete(id("x")), "x is retired; b's idle group may still hold it");
    a.put(id("z"), ArtifactMeta.custom(), CxlLayerTest.bytes(3, 28 * KIB));
    assertEquals(0, a.stats().rejected());
    assertTrue(a.contains(id("z")) && a.contains(id("y")));
  }
}
