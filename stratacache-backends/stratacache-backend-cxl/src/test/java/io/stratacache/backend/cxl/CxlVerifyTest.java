package io.stratacache.backend.cxl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.spi.Lease;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When the tier checks payload checksums, and loadInto's one-pass copy and check. */
class CxlVerifyTest {
  private static final int KIB = 1024;

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
    CxlLayer layer = CxlLayer.open(CxlTestRegions.spec(region(), "8MiB", kv));
    opened.add(layer);
    return layer;
  }

  private static ArtifactId id(String s) {
    return ArtifactId.of(s);
  }

  @Test
  void verifyAlways_checksEveryLoad_evenOfACommitThisProcessWrote() throws IOException {
    CxlLayer layer = open("verify", "always");
    layer.put(id("v"), ArtifactMeta.custom(), CxlLayerTest.bytes(1, 10 * KIB));
    layer.get(id("v")).close();
    CxlTestRegions.flipPayloadByte(region(), 0);
    assertNull(layer.get(id("v")), "a damaged payload is never leased");
    assertEquals(1, layer.stats().corrupt());
    assertFalse(layer.contains(id("v")), "the damaged record is dropped");
  }

  @Test
  void verifyOnce_trustsACommitThisProcessWroteOrChecked_andChecksAnotherWritersRewrite() throws IOException {
    CxlLayer a = open();
    CxlLayer b = open();
    a.put(id("w"), ArtifactMeta.custom(), CxlLayerTest.bytes(2, 10 * KIB));
    try (Lease checked = b.get(id("w"))) {
      CxlLayerTest.assertBytes(2, 10 * KIB, checked.segment());
    }
    CxlTestRegions.flipPayloadByte(region(), 0);
    try (Lease trusted = a.get(id("w"))) {
      assertNotNull(trusted, "the writer trusts its own commit");
    }
    try (Lease trusted = b.get(id("w"))) {
      assertNotNull(trusted, "a process trusts a commit it checked");
    }
    assertEquals(0, a.stats().corrupt() + b.stats().corrupt());

    b.put(id("w"), ArtifactMeta.custom(), CxlLayerTest.bytes(3, 10 * KIB));
    CxlTestRegions.flipPayloadByte(region(), 0);
    assertNull(a.get(id("w")), "another writer's commit is checked on this process's first load of it");
    assertEquals(1, a.stats().corrupt());
  }

  @Test
  void verifyOnce_afterReopen_checksEachCommitOnItsFirstLoad() throws IOException {
    CxlLayer first = open();
    first.put(id("x"), ArtifactMeta.custom(), CxlLayerTest.bytes(4, 10 * KIB));
    first.close();
    CxlTestRegions.flipPayloadByte(region(), 0);
    CxlLayer again = open();
    assertNull(again.get(id("x")));
    assertEquals(1, again.stats().corrupt());
  }

  @Test
  void loadInto_copiesThePayload_orReportsAbsence() {
    CxlLayer layer = open("verify", "always");
    layer.put(id("p"), ArtifactMeta.custom(), CxlLayerTest.bytes(5, 700 * KIB));
    MemorySegment dst = Arena.ofAuto().allocate(800 * KIB);
    assertEquals(700 * KIB, layer.loadInto(id("p"), dst));
    CxlLayerTest.assertBytes(5, 700 * KIB, dst.asSlice(0, 700 * KIB));
    byte[] heap = new byte[700 * KIB];
    assertEquals(700 * KIB, layer.loadInto(id("p"), MemorySegment.ofArray(heap)));
    CxlLayerTest.assertBytes(5, 700 * KIB, MemorySegment.ofArray(heap));
    assertEquals(-1, layer.loadInto(id("absent"), dst));
    assertEquals(2, layer.stats().hits());
  }

  @Test
  void loadInto_refusesASmallOrReadOnlyDestination_copyingNothing() {
    CxlLayer layer = open();
    layer.put(id("p"), ArtifactMeta.custom(), CxlLayerTest.bytes(6, 8 * KIB));
    MemorySegment small = MemorySegment.ofArray(new byte[8 * KIB - 1]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> layer.loadInto(id("p"), small));
    assertTrue(e.getMessage().contains("dst: " + (8 * KIB - 1) + " bytes"), e.getMessage());
    assertEquals(-1, small.asSlice(0, 8 * KIB - 1).mismatch(MemorySegment.ofArray(new byte[8 * KIB - 1])),
        "nothing copied");
    MemorySegment readOnly = MemorySegment.ofArray(new byte[8 * KIB]).asReadOnly();
    assertThrows(IllegalArgumentException.class, () -> layer.loadInto(id("p"), readOnly));
    assertThrows(NullPointerException.class, () -> layer.loadInto(null, small));
    assertTrue(layer.contains(id("p")), "nothing lost");
  }

  @Test
  void loadInto_mismatchFoundMidCopy_isDroppedCountedAndReportedAbsent() throws IOException {
    for (String verify : new String[] {"always", "once"}) {
      CxlLayer writer = open("verify", verify, "reset_metadata", true);
      writer.put(id("big"), ArtifactMeta.custom(), CxlLayerTest.bytes(7, 1024 * KIB));
      writer.close();
      // The damage is in the last block copied: the first blocks reach dst before it is found.
      CxlTestRegions.flipPayloadByte(region(), 3);
      CxlLayer reader = open("verify", verify);
      MemorySegment dst = Arena.ofAuto().allocate(1024 * KIB);
      assertEquals(-1, reader.loadInto(id("big"), dst), verify);
      assertEquals(1, reader.stats().corrupt(), verify);
      assertFalse(reader.contains(id("big")), verify);
      assertNull(reader.get(id("big")), verify);
      reader.close();
    }
  }

  @Test
  void loadInto_ofATrustedCommit_copiesWithoutChecking_underVerifyOnce() throws IOException {
    CxlLayer layer = open();
    layer.put(id("t"), ArtifactMeta.custom(), CxlLayerTest.bytes(8, 64 * KIB));
    CxlTestRegions.flipPayloadByte(region(), 0);
    MemorySegment dst = Arena.ofAuto().allocate(64 * KIB);
    assertEquals(64 * KIB, layer.loadInto(id("t"), dst), "this process wrote the commit: trusted");
    assertEquals(0, layer.stats().corrupt());
    byte last = dst.get(ValueLayout.JAVA_BYTE, 64 * KIB - 1);
    assertEquals((byte) (CxlLayerTest.bytes(8, 64 * KIB).get(ValueLayout.JAVA_BYTE, 64 * KIB - 1) ^ 1), last,
        "the trusted copy is what the region holds");
  }
}
