package io.stratacache.backend.cxl;

import static io.stratacache.backend.cxl.CxlTestRegions.LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.CheckReport;
import io.stratacache.spi.Lease;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fsck and repair of a region: damaged records, damaged slots, orphans, and who may check. */
class CxlCheckTest {
  private static final int KIB = 1024;
  private static final int N = 6;

  @TempDir Path dir;
  private final List<CxlLayer> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(CxlLayer::close);
  }

  private Path region() {
    return dir.resolve("region");
  }

  private CxlLayer open(Object... kv) {
    CxlLayer layer = CxlLayer.open(CxlTestRegions.spec(region(), "1MiB", kv));
    opened.add(layer);
    return layer;
  }

  private static ArtifactId id(int i) {
    return ArtifactId.of("a" + i);
  }

  /** A closed region holding artifacts a0..a5, then opened exclusively for the check. */
  private void filledThenReopened() {
    CxlLayer writer = open();
    for (int i = 0; i < N; i++) {
      writer.put(id(i), ArtifactMeta.custom(), CxlLayerTest.bytes(i, 20 * KIB));
    }
    writer.close();
  }

  /** The slot holding {@code id}, read through a mapping of the test's own. */
  private int slotOf(ArtifactId id) throws IOException {
    int[] found = {-1};
    CxlTestRegions.poke(region(), (r, g) -> {
      for (int s = 0; s < g.slotCount(); s++) {
        long so = g.slot(s);
        if (r.get(LONG, so + CxlLayout.SLOT_STATE) == CxlLayout.COMMITTED) {
          CxlHash h = CxlHash.of(id);
          if (r.get(LONG, so + CxlLayout.SLOT_HASH_HI) == h.hi() && r.get(LONG, so + CxlLayout.SLOT_HASH_LO) == h.lo()) {
            found[0] = s;
          }
        }
      }
    });
    return found[0];
  }

  private void assertOthersServed(CxlLayer layer, int except) {
    for (int i = 0; i < N; i++) {
      if (i != except) {
        try (Lease l = layer.get(id(i))) {
          CxlLayerTest.assertBytes(i, 20 * KIB, l.segment());
        }
      }
    }
  }

  @Test
  void check_ofAHealthyRegion_findsEveryRecordValid() {
    filledThenReopened();
    CxlLayer layer = open("exclusive", true);
    CheckReport report = layer.check(false);
    assertTrue(report.clean(), report.findings().toString());
    assertEquals(N, report.checked());
    assertEquals(N, report.valid());
    assertEquals("shared", report.tier());
    assertTrue(layer.check(true).clean());
  }

  @Test
  void flippedPayloadByte_isReportedByFsck_droppedByRepair_andASecondRepairFindsNothing() throws IOException {
    filledThenReopened();
    int damaged = slotOf(id(2));
    CxlTestRegions.poke(region(), (r, g) -> {
      long so = g.slot(damaged);
      long at = g.dataOffset() + r.get(LONG, so + CxlLayout.SLOT_RECORD_OFFSET) + r.get(LONG, so + CxlLayout.SLOT_RECORD_LENGTH) - 1;
      r.set(java.lang.foreign.ValueLayout.JAVA_BYTE, at, (byte) (r.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at) ^ 1));
    });
    CxlLayer layer = open("exclusive", true);

    CheckReport fsck = layer.check(false);
    assertEquals(1, fsck.corrupt(), fsck.findings().toString());
    assertEquals(N - 1, fsck.valid());
    assertFalse(fsck.repaired());
    assertTrue(fsck.findings().get(0).contains("a2") && fsck.findings().get(0).contains("payload checksum"),
        fsck.findings().toString());
    assertTrue(layer.contains(id(2)), "fsck changes nothing");

    CheckReport repair = layer.check(true);
    assertEquals(1, repair.corrupt());
    assertTrue(repair.repaired());
    assertFalse(layer.contains(id(2)));
    assertNull(layer.get(id(2)));
    assertEquals(N - 1, layer.stats().artifacts());
    assertOthersServed(layer, 2);

    CheckReport again = layer.check(true);
    assertTrue(again.clean(), again.findings().toString());
    assertEquals(N - 1, again.valid());
  }

  @Test
  void damagedSlotHeaders_areReported_andRepairKeepsEveryValidRecord() throws IOException {
    filledThenReopened();
    int badState = slotOf(id(1));
    int badHash = slotOf(id(4));
    CxlTestRegions.poke(region(), (r, g) -> {
      r.set(LONG, g.slot(badState) + CxlLayout.SLOT_STATE, 77);
      r.set(LONG, g.slot(badHash) + CxlLayout.SLOT_HASH_LO, r.get(LONG, g.slot(badHash) + CxlLayout.SLOT_HASH_LO) ^ 1);
    });
    CxlLayer layer = open("exclusive", true);

    CheckReport fsck = layer.check(false);
    assertEquals(2, fsck.corrupt(), fsck.findings().toString());
    assertTrue(fsck.indexMismatches() >= 1, "the index points at the damaged slots: " + fsck.findings());
    assertTrue(fsck.findings().stream().anyMatch(f -> f.contains("slot " + badState) && f.contains("damaged slot header")),
        fsck.findings().toString());
    assertTrue(fsck.findings().stream().anyMatch(f -> f.contains("slot " + badHash) && f.contains("damaged slot header")),
        fsck.findings().toString());

    CheckReport repair = layer.check(true);
    assertTrue(repair.repaired());
    assertEquals(N - 2, layer.stats().artifacts());
    for (int i = 0; i < N; i++) {
      if (i != 1 && i != 4) {
        try (Lease l = layer.get(id(i))) {
          CxlLayerTest.assertBytes(i, 20 * KIB, l.segment());
        }
      }
    }
    assertTrue(layer.check(false).clean());
    assertTrue(layer.check(true).clean(), "safe to run twice");
  }

  @Test
  void orphans_anAbandonedStoreAndLeakedBlocks_areFreedByRepair() throws IOException {
    filledThenReopened();
    int abandoned = slotOf(id(3));
    long usedBefore;
    CxlLayer probe = open();
    usedBefore = probe.stats().usedBytes();
    probe.close();
    CxlTestRegions.poke(region(), (r, g) -> {
      long so = g.slot(abandoned);
      r.set(LONG, so + CxlLayout.SLOT_STATE, CxlLayout.WRITING);
      r.set(LONG, so + CxlLayout.SLOT_OWNER, (long) Integer.MAX_VALUE << 32 | 1); // no such process
      long lastWord = g.bitmapWord(g.dataBlocks() - 1);
      r.set(LONG, lastWord - 8, r.get(LONG, lastWord - 8) | 1L << 7); // a block no slot owns
    });
    CxlLayer layer = open("exclusive", true);
    CheckReport fsck = layer.check(false);
    assertTrue(fsck.orphans() >= 2, fsck.findings().toString());
    assertTrue(fsck.findings().stream().anyMatch(f -> f.contains("left unfinished")), fsck.findings().toString());
    assertTrue(fsck.findings().stream().anyMatch(f -> f.contains("no slot owns")), fsck.findings().toString());

    assertTrue(layer.check(true).repaired());
    assertEquals(N - 1, layer.stats().artifacts());
    assertEquals(usedBefore - 24 * KIB, layer.stats().usedBytes(), "the abandoned store's room and the leaked block are free");
    assertTrue(layer.check(true).clean());
    assertOthersServed(layer, 3);
  }

  @Test
  void check_whileAnotherAttachmentIsOpen_isRefusedNamingIt() {
    CxlLayer a = open();
    CxlLayer b = open();
    a.put(id(0), ArtifactMeta.custom(), CxlLayerTest.bytes(0, KIB));
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class, () -> a.check(false));
    long pid = ProcessHandle.current().pid();
    assertTrue(e.getMessage().contains(region().toString()) && e.getMessage().contains(String.valueOf(pid)),
        e.getMessage());
    assertTrue(b.contains(id(0)), "nothing changed");
  }

  @Test
  void exclusiveOpen_isRefusedWhileOthersHaveTheRegion_andKeepsOthersOutWhileOpen() {
    CxlLayer shared = open();
    String pid = String.valueOf(ProcessHandle.current().pid());
    LayerUnavailableException held = assertThrows(LayerUnavailableException.class, () -> open("exclusive", true));
    assertTrue(held.getMessage().contains(region().toString()) && held.getMessage().contains(pid), held.getMessage());
    shared.close();

    CxlLayer exclusive = open("exclusive", true);
    LayerUnavailableException out = assertThrows(LayerUnavailableException.class, this::open);
    assertTrue(out.getMessage().contains("open exclusively by process " + pid), out.getMessage());
    exclusive.close();
    open().put(id(1), ArtifactMeta.custom(), MemorySegment.ofArray(new byte[10]));
  }
}
