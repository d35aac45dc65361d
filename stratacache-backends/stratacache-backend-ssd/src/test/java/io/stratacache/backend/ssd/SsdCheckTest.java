package io.stratacache.backend.ssd;

import static io.stratacache.backend.ssd.SsdTestTiers.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.CheckReport;
import io.stratacache.spi.Lease;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fsck and repair of damaged SSD tiers ({@link SsdLayer#check}), and who holds a tier's directory. */
class SsdCheckTest {
  private static final int RECORDS = 6;

  @TempDir Path dir;
  @TempDir Path other;
  private final List<SsdLayer> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(SsdLayer::close);
  }

  private SsdLayer open(Path path) {
    SsdLayer layer = SsdLayer.open("disk", SsdTestTiers.config(path, "64MiB"));
    opened.add(layer);
    return layer;
  }

  private static ArtifactId id(int i) {
    return ArtifactId.of("r" + i);
  }

  private SsdLayer filled() {
    SsdLayer layer = open(dir);
    for (int i = 0; i < RECORDS; i++) {
      layer.put(id(i), ArtifactMeta.custom(), bytes(i, 3000 + i));
    }
    return layer;
  }

  private Path file(int i) {
    return new SsdPaths(dir).recordFile(id(i));
  }

  private long quarantined() throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve(SsdPaths.QUARANTINE_DIR))) {
      return s.count();
    }
  }

  /** The rest of the tier is intact: every other record serves its own bytes. */
  private static void assertServes(SsdLayer layer, int... ids) {
    for (int i : ids) {
      try (Lease l = layer.get(id(i))) {
        assertNotNull(l, "r" + i);
        assertEquals(-1, bytes(i, 3000 + i).mismatch(l.segment()), "r" + i);
      }
    }
  }

  @Test
  void check_cleanTier_verifiesEveryRecord() {
    SsdLayer layer = filled();
    CheckReport r = layer.check(false);
    assertTrue(r.clean(), r.findings().toString());
    assertEquals(RECORDS, r.checked());
    assertEquals(RECORDS, r.valid());
    assertEquals("disk", r.tier());
    assertTrue(layer.check(true).clean());
  }

  @Test
  void flippedByte_isReported_thenQuarantinedByRepair_andASecondRepairFindsNothing() throws IOException {
    SsdLayer layer = filled();
    try (RandomAccessFile raf = new RandomAccessFile(file(2).toFile(), "rw")) {
      raf.seek(raf.length() - 10);
      raf.write(raf.read() ^ 0x40);
    }
    CheckReport found = layer.check(false);
    assertEquals(1, found.corrupt());
    assertEquals(RECORDS - 1, found.valid());
    assertTrue(found.findings().get(0).contains(file(2).toString()) && found.findings().get(0).contains("checksum"),
        found.findings().toString());
    assertTrue(Files.exists(file(2)), "check(false) changes nothing");
    assertTrue(layer.contains(id(2)));

    CheckReport repaired = layer.check(true);
    assertTrue(repaired.repaired());
    assertEquals(1, repaired.corrupt());
    assertFalse(Files.exists(file(2)));
    assertFalse(layer.contains(id(2)));
    assertEquals(1, quarantined());
    CheckReport again = layer.check(true);
    assertTrue(again.clean(), again.findings().toString());
    assertEquals(RECORDS - 1, again.valid());
    assertServes(layer, 0, 1, 3, 4, 5);
  }

  @Test
  void truncatedRecord_isCorrupt() throws IOException {
    SsdLayer layer = filled();
    try (RandomAccessFile raf = new RandomAccessFile(file(4).toFile(), "rw")) {
      raf.setLength(raf.length() - 100);
    }
    assertEquals(1, layer.check(false).corrupt());
    assertEquals(1, layer.check(true).corrupt());
    assertTrue(layer.check(false).clean());
    assertServes(layer, 0, 1, 2, 3, 5);
  }

  @Test
  void orphanTempFile_andAValidRecordTheIndexLacks_areOrphans_repairDeletesOneAndIndexesTheOther() throws IOException {
    SsdLayer layer = filled();
    Path temp = SsdPaths.tempFile(file(1), 12345);
    Files.writeString(temp, "half a record");
    SsdLayer elsewhere = open(other);
    elsewhere.put(ArtifactId.of("stray"), ArtifactMeta.custom(), bytes(77, 900));
    elsewhere.close();
    Path stray = new SsdPaths(dir).recordFile(ArtifactId.of("stray"));
    Files.createDirectories(stray.getParent());
    Files.copy(new SsdPaths(other).recordFile(ArtifactId.of("stray")), stray);

    CheckReport found = layer.check(false);
    assertEquals(2, found.orphans(), found.findings().toString());
    assertEquals(0, found.corrupt());
    assertTrue(Files.exists(temp));
    CheckReport repaired = layer.check(true);
    assertEquals(2, repaired.orphans());
    assertFalse(Files.exists(temp));
    try (Lease l = layer.get(ArtifactId.of("stray"))) {
      assertNotNull(l, "a valid orphan record is indexed, never deleted");
      assertEquals(-1, bytes(77, 900).mismatch(l.segment()));
    }
    assertTrue(layer.check(true).clean());
    layer.close();
    SsdLayer reopened = open(dir);
    assertTrue(reopened.contains(ArtifactId.of("stray")), "the rewritten index holds it");
    assertTrue(reopened.check(false).clean());
  }

  @Test
  void entryWhoseFileIsGone_isAnIndexMismatch_repairDropsIt() throws IOException {
    SsdLayer layer = filled();
    Files.delete(file(3));
    CheckReport found = layer.check(false);
    assertEquals(1, found.indexMismatches(), found.findings().toString());
    assertTrue(layer.contains(id(3)));
    layer.check(true);
    assertFalse(layer.contains(id(3)));
    assertTrue(layer.check(true).clean());
  }

  @Test
  void damagedOrMissingIndex_isReported_andRepairLeavesATrustedOne() throws IOException {
    filled().close();
    Path journal = dir.resolve(SsdIndexJournal.FILE);
    try (RandomAccessFile raf = new RandomAccessFile(journal.toFile(), "rw")) {
      raf.seek(SsdIndexJournal.HEADER_BYTES + 20);
      raf.write(raf.read() ^ 0x01);
    }
    SsdLayer second = open(dir);
    CheckReport found = second.check(false);
    assertEquals(1, found.indexMismatches(), found.findings().toString());
    assertTrue(found.findings().get(0).contains("damaged"), found.findings().toString());
    assertEquals(RECORDS, found.valid(), "no record is lost");
    assertEquals(1, second.check(true).indexMismatches());
    assertTrue(second.check(true).clean());
    second.close();

    Files.delete(journal);
    SsdLayer third = open(dir);
    CheckReport missing = third.check(true);
    assertEquals(1, missing.indexMismatches(), missing.findings().toString());
    assertTrue(missing.findings().get(0).contains("missing"), missing.findings().toString());
    assertTrue(third.check(true).clean());
    third.close();
    SsdLayer fourth = open(dir);
    assertEquals(null, fourth.indexFallback());
    assertServes(fourth, 0, 1, 2, 3, 4, 5);
  }

  @Test
  void directoryHeldByAnotherProcess_isRefused_namingThePathAndThePid() throws Exception {
    String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
    Process child = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), SsdIndexCrashWriter.class.getName(),
        dir.toString(), "1")).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("ready", out.readLine());
      LayerUnavailableException e = assertThrows(LayerUnavailableException.class, () -> open(dir));
      assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("process " + child.pid()), e.getMessage());
    } finally {
      child.destroyForcibly();
      child.waitFor();
    }
    SsdLayer after = open(dir);
    assertNotNull(after, "free once the holder is gone");
  }

  @Test
  void directoryHeldInThisProcess_isRefused_namingIt() {
    filled();
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class, () -> open(dir));
    assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("another layer in this process"),
        e.getMessage());
  }
}
