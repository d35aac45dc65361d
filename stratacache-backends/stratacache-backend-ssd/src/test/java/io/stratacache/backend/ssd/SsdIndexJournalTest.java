package io.stratacache.backend.ssd;

import static io.stratacache.backend.ssd.SsdTestTiers.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.spi.Lease;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SSD tier's persisted index: what a reopen trusts, what it checks, and when it falls back to the headers. */
class SsdIndexJournalTest {
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

  private static void assertBytes(long seed, int size, Lease l) {
    assertNotNull(l);
    SsdTestTiers.assertBytes(seed, size, l.segment());
  }

  private static ArtifactId id(String s) {
    return ArtifactId.of(s);
  }

  private SsdLayer storeTen(Path path) {
    SsdLayer layer = open(path);
    for (int i = 0; i < 10; i++) {
      layer.put(id("a" + i), ArtifactMeta.custom(), bytes(i, 1000 + i));
    }
    return layer;
  }

  @Test
  void reopen_trustsTheJournal_andReadsNoRecordHeader() throws IOException {
    storeTen(dir).close();
    Path damaged = new SsdPaths(dir).recordFile(id("a3"));
    try (RandomAccessFile raf = new RandomAccessFile(damaged.toFile(), "rw")) {
      raf.seek(30); // inside the header's JSON: a scan of the headers would quarantine it at open
      raf.write(raf.read() ^ 0x20);
    }
    SsdLayer second = open(dir);
    assertNull(second.indexFallback());
    assertEquals(10, second.recoveredArtifacts());
    assertEquals(0, second.stats().corrupt(), "no header was read at open");
    assertNull(second.get(id("a3")), "the load checks the header and finds it damaged");
    assertEquals(1, second.stats().corrupt());
    try (Lease l = second.get(id("a4"))) {
      assertBytes(4, 1004, l);
    }
  }

  @Test
  void reopen_withoutTheJournal_readsEveryHeader_andSaysWhy() throws IOException {
    SsdLayer first = storeTen(dir);
    long used = first.stats().usedBytes();
    first.close();
    Files.delete(dir.resolve(SsdIndexJournal.FILE));
    SsdLayer second = open(dir);
    assertTrue(second.indexFallback().contains("missing"), second.indexFallback());
    assertEquals(10, second.recoveredArtifacts());
    assertEquals(used, second.stats().usedBytes());
    second.close();
    SsdLayer third = open(dir);
    assertNull(third.indexFallback(), "the scan wrote a fresh journal");
    assertEquals(10, third.ids().size());
  }

  @Test
  void reopen_withADamagedJournal_readsEveryHeader() throws IOException {
    storeTen(dir).close();
    Path journal = dir.resolve(SsdIndexJournal.FILE);
    try (RandomAccessFile raf = new RandomAccessFile(journal.toFile(), "rw")) {
      raf.seek(SsdIndexJournal.HEADER_BYTES + 100);
      raf.write(raf.read() ^ 0x01);
    }
    SsdLayer second = open(dir);
    assertTrue(second.indexFallback().contains("damaged"), second.indexFallback());
    assertEquals(10, second.recoveredArtifacts());
    for (int i = 0; i < 10; i++) {
      try (Lease l = second.get(id("a" + i))) {
        assertBytes(i, 1000 + i, l);
      }
    }
  }

  @Test
  void reopen_aTornLastRecord_isCutOff_andTheRestTrusted() throws IOException {
    SsdLayer first = storeTen(dir);
    first.delete(id("a9"));
    first.close();
    Files.write(dir.resolve(SsdIndexJournal.FILE), new byte[] {40, 0, 0, 0, 1, 2, 3}, StandardOpenOption.APPEND);
    SsdLayer second = open(dir);
    assertNull(second.indexFallback());
    assertEquals(9, second.ids().size());
    second.put(id("b"), ArtifactMeta.custom(), bytes(99, 500));
    second.close();
    SsdLayer third = open(dir);
    assertNull(third.indexFallback(), "appends went where the torn record was");
    assertEquals(10, third.ids().size());
    try (Lease l = third.get(id("b"))) {
      assertBytes(99, 500, l);
    }
  }

  @Test
  void reopen_checksTheJournalAgainstTheDirectory() throws IOException {
    storeTen(dir).close();
    SsdLayer elsewhere = open(other);
    elsewhere.put(id("stray"), ArtifactMeta.custom(), bytes(7, 700));
    elsewhere.close();
    SsdPaths here = new SsdPaths(dir);
    Files.delete(here.recordFile(id("a2")));
    Path stray = here.recordFile(id("stray"));
    Files.createDirectories(stray.getParent());
    Files.copy(new SsdPaths(other).recordFile(id("stray")), stray);

    SsdLayer second = open(dir);
    assertNull(second.indexFallback());
    assertFalse(second.contains(id("a2")), "an entry whose file is gone is dropped at open");
    try (Lease l = second.get(id("stray"))) {
      assertBytes(7, 700, l);
    }
    assertEquals(10, second.ids().size());
    long onDisk = 0;
    for (ArtifactId id : second.ids()) {
      onDisk += Files.size(here.recordFile(id));
    }
    assertEquals(onDisk, second.stats().usedBytes());
  }

  /**
   * A store killed between its rename and its journal entry: the journal has the intent, the
   * directory the new record. The reopen reads that record's header instead of trusting the old
   * entry, so the new version is neither lost nor mistaken for a corrupt one.
   */
  @Test
  void reopen_afterAKillBetweenRenameAndEntry_readsTheRecordTheIntentNames() throws Exception {
    SsdLayer first = open(dir);
    first.put(id("x"), ArtifactMeta.custom(), bytes(1, 2000));
    first.put(id("y"), ArtifactMeta.custom(), bytes(2, 2000));
    first.close();
    SsdLayer newer = open(other);
    newer.put(id("x"), ArtifactMeta.custom(), bytes(3, 5000));
    newer.close();
    // replay what the first layer wrote, then log a store of x that never logs its record
    List<SsdIndexJournal.Live> live = new ArrayList<>(SsdIndexJournal.liveEntries(dir.resolve(SsdIndexJournal.FILE)).values());
    SsdIndexJournal j = SsdIndexJournal.create(dir.resolve(SsdIndexJournal.FILE), live, false, first.config().access());
    j.intent(id("x"));
    Files.copy(new SsdPaths(other).recordFile(id("x")), new SsdPaths(dir).recordFile(id("x")),
        StandardCopyOption.REPLACE_EXISTING);
    j.crash();

    SsdLayer second = open(dir);
    assertNull(second.indexFallback(), "a process crash on this boot leaves the journal trusted");
    try (Lease l = second.get(id("x"))) {
      assertBytes(3, 5000, l);
    }
    try (Lease l = second.get(id("y"))) {
      assertBytes(2, 2000, l);
    }
    assertEquals(0, second.stats().corrupt());
    assertEquals(Files.size(new SsdPaths(dir).recordFile(id("x"))) + Files.size(new SsdPaths(dir).recordFile(id("y"))),
        second.stats().usedBytes());
  }

  @Test
  void journal_isCompacted_asRecordsComeAndGo() throws IOException {
    SsdLayer layer = open(dir);
    int stores = (int) SsdIndexJournal.COMPACT_SLACK + 504; // a multiple of 10: the last store is of k9
    for (int i = 0; i < stores; i++) {
      layer.put(id("k" + (i % 10)), ArtifactMeta.custom(), bytes(i, 64));
    }
    // two records per store: uncompacted the journal would hold 2 x stores records
    long perRecord = 60;
    assertTrue(Files.size(dir.resolve(SsdIndexJournal.FILE)) < stores * perRecord,
        "journal of " + Files.size(dir.resolve(SsdIndexJournal.FILE)) + " bytes after " + stores + " stores");
    layer.close();
    SsdLayer second = open(dir);
    assertNull(second.indexFallback());
    assertEquals(10, second.ids().size());
    try (Lease l = second.get(id("k9"))) {
      assertBytes(stores - 1, 64, l);
    }
  }
}
