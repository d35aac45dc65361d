package io.stratacache.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.ConfigException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.testkit.LogCapture;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tier marked optional that cannot open is left out with one line; a required one fails. */
class OptionalTierTest {
  @TempDir Path dir;

  private Path unsafeDirectory() throws Exception {
    Path open = dir.resolve("open");
    Files.createDirectory(open);
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    return open;
  }

  private StorageEngine.Builder threeTiers(Path ssd, boolean optional) {
    return StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", "4MiB"))
        .tier("disk", "ssd", Map.of("path", ssd.toString(), "capacity", "4MiB", "optional", optional))
        .tier("warm", "cpu", Map.of("capacity", "4MiB"))
        .link("hot", "disk", LinkMode.WRITE_BACK)
        .link("disk", "warm", LinkMode.WRITE_THROUGH);
  }

  @Test
  void anOptionalTierThatCannotOpenIsLeftOutAndItsNeighboursAreLinked() throws Exception {
    Path ssd = unsafeDirectory();
    LogCapture log = LogCapture.of(StorageEngine.class);
    try (log; StorageEngine engine = threeTiers(ssd, true).build()) {
      assertEquals(List.of("hot", "warm"), engine.tiers());
      assertEquals(LinkMode.WRITE_BACK, engine.admin().contents().get(0).linkBelow(), "the upper tier's link");
      ArtifactId id = ArtifactId.of("kv", "m", "x");
      engine.store(id, ArtifactMeta.of(ArtifactType.KV_BLOCKS), MemorySegment.ofArray(new byte[] {7}));
      engine.flush();
      assertTrue(engine.tier("warm").contains(id), "written down past the tier left out");
    }
    List<String> lines = log.lines(); // the engine's close included
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).startsWith("INFO optional tier 'disk' (provider ssd, "), lines.get(0));
    assertTrue(lines.get(0).contains(") left out: cannot open: ") && lines.get(0).contains("refusing " + ssd), lines.get(0));
  }

  @Test
  void aRequiredTierThatCannotOpenFailsWithTheReason() throws Exception {
    Path ssd = unsafeDirectory();
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class, () -> threeTiers(ssd, false).build());
    assertTrue(e.getMessage().contains("cannot open: ") && e.getMessage().contains("writable by others"), e.getMessage());
  }

  @Test
  void optionalMustBeABoolean() {
    ConfigException e = assertThrows(ConfigException.class, () -> StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", "4MiB", "optional", "perhaps")).build());
    assertTrue(e.getMessage().contains("optional") && e.getMessage().contains("perhaps"), e.getMessage());
  }
}
