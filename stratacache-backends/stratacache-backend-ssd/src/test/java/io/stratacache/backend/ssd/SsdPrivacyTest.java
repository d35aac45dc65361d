package io.stratacache.backend.ssd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.ConfigException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.testkit.LogCapture;
import io.stratacache.testkit.Umask;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the SSD tier writes is its owner's only, and nothing planted in its directory is followed. */
class SsdPrivacyTest {
  @TempDir Path dir;
  private LogCapture log;

  @BeforeEach
  void captureLog() {
    log = LogCapture.of(SsdLayer.class);
  }

  @AfterEach
  void releaseLog() {
    log.close();
  }

  private SsdLayer open(Path path, Object... kv) {
    return SsdLayer.open("disk", SsdTestTiers.config(path, "4MiB", kv));
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }

  private static final ArtifactMeta META = ArtifactMeta.of(ArtifactType.KV_BLOCKS);

  @Test
  void everyDirectoryAndFileIsPrivateUnderAPermissiveUmask() throws Exception {
    Path root = dir.resolve("home").resolve(".cache").resolve("tier");
    Umask.with(0, () -> {
      try (SsdLayer layer = open(root)) {
        for (int i = 0; i < 20; i++) {
          layer.put(ArtifactId.of("kv", "m", "chunk" + i), META, MemorySegment.ofArray(new byte[100 + i]));
        }
      }
    });
    List<Path> all;
    try (Stream<Path> walk = Files.walk(dir.resolve("home"))) {
      all = walk.toList();
    }
    int files = 0;
    for (Path p : all) {
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        assertEquals(0700, mode(p), "directory " + p);
      } else {
        assertEquals(0600, mode(p), "file " + p);
        files++;
      }
    }
    assertEquals(22, files, "20 records, the lock file and the index journal: " + all);
    assertTrue(all.contains(root.resolve(SsdIndexJournal.FILE)));
    assertTrue(all.contains(root.resolve(SsdPaths.QUARANTINE_DIR)));
  }

  @Test
  void aSharingModeAndItsDirectoriesAreSetAsConfigured() throws Exception {
    Path root = dir.resolve("shared");
    Umask.with(077, () -> {
      try (SsdLayer layer = open(root, "mode", "0640")) {
        layer.put(ArtifactId.of("kv", "m", "x"), META, MemorySegment.ofArray(new byte[10]));
      }
    });
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.toList()) {
        assertEquals(Files.isDirectory(p) ? 0750 : 0640, mode(p), p.toString());
      }
    }
  }

  @Test
  void aWorldWritableTierDirectoryIsRefusedNamingPathOwnerAndMode() throws Exception {
    Path root = dir.resolve("open");
    Files.createDirectory(root);
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxrwxrwx"));
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class, () -> open(root));
    assertTrue(e.getMessage().contains("refusing " + root), e.getMessage());
    assertTrue(e.getMessage().contains("owner " + Files.getOwner(root).getName()), e.getMessage());
    assertTrue(e.getMessage().contains("mode 0777 (rwxrwxrwx): writable by others"), e.getMessage());
    assertFalse(Files.exists(root.resolve(SsdPaths.LOCK_FILE)), "nothing created in a refused directory");
  }

  @Test
  void aRecordPathThatIsASymbolicLinkIsDamagedAndNeverFollowed() throws Exception {
    Path root = dir.resolve("tier");
    ArtifactId planted = ArtifactId.of("kv", "m", "planted");
    ArtifactId other = ArtifactId.of("kv", "m", "other");
    Path outside = dir.resolve("outside.scr");
    try (SsdLayer layer = open(root)) {
      layer.put(planted, META, MemorySegment.ofArray(new byte[] {1, 2, 3}));
      layer.put(other, META, MemorySegment.ofArray(new byte[] {4, 5, 6}));
    }
    // A valid record of the planted id, kept outside the tier, and a link to it at the record path.
    SsdPaths paths = new SsdPaths(root);
    Files.move(paths.recordFile(planted), outside);
    Files.createSymbolicLink(paths.recordFile(planted), outside);
    byte[] outsideBytes = Files.readAllBytes(outside);
    try (SsdLayer layer = open(root)) {
      assertNull(layer.get(planted), "a link found at open is not a record");
      assertEquals(1, layer.stats().artifacts());
    }
    assertFalse(Files.exists(paths.recordFile(planted), LinkOption.NOFOLLOW_LINKS), "the link is quarantined");
    // A link planted while the tier is open is found at the next load.
    try (SsdLayer layer = open(root)) {
      Files.delete(paths.recordFile(other));
      Files.createSymbolicLink(paths.recordFile(other), outside);
      assertNull(layer.get(other), "a link at a record path is never followed");
      assertFalse(layer.contains(other));
    }
    assertEquals(-1, java.util.Arrays.mismatch(outsideBytes, Files.readAllBytes(outside)), "the link's target is untouched");
    List<String> logged = log.lines();
    assertEquals(2, logged.size(), logged.toString());
    for (String line : logged) {
      assertTrue(line.startsWith("WARNING ") && line.contains("is a symbolic link (never followed"), line);
    }
  }

  @Test
  void aStoreNeverWritesThroughALinkPlantedAtItsTemporaryPath() throws Exception {
    Path root = dir.resolve("tier");
    Path victim = dir.resolve("victim");
    Files.writeString(victim, "keep");
    ArtifactId id = ArtifactId.of("kv", "m", "x");
    try (SsdLayer layer = open(root)) {
      layer.put(id, META, MemorySegment.ofArray(new byte[] {1}));
      Path record = new SsdPaths(root).recordFile(id);
      for (int n = 1; n <= 64; n++) {
        Files.createSymbolicLink(SsdPaths.tempFile(record, n), victim);
      }
      assertThrows(RuntimeException.class, () -> layer.put(id, META, MemorySegment.ofArray(new byte[] {2, 2})));
      try (var lease = layer.get(id)) {
        assertEquals(1, lease.segment().byteSize(), "the stored version is kept");
      }
    }
    assertEquals("keep", Files.readString(victim));
  }

  @Test
  void modeAndGroupSettingsAreChecked() {
    ConfigException notQuoted = assertThrows(ConfigException.class, () -> open(dir, "mode", 600));
    assertTrue(notQuoted.getMessage().contains("in quotes"), notQuoted.getMessage());
    ConfigException exec = assertThrows(ConfigException.class, () -> open(dir, "mode", "0700"));
    assertTrue(exec.getMessage().contains("mode") && exec.getMessage().contains("no execute bits"), exec.getMessage());
    ConfigException group = assertThrows(ConfigException.class, () -> open(dir, "group", "no-such-group-xyz"));
    assertTrue(group.getMessage().contains("a group that exists on this machine"), group.getMessage());
  }
}
