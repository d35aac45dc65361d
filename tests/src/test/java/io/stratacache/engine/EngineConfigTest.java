package io.stratacache.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.ConfigException;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening engines from files and builders: what works, and how bad input fails. */
class EngineConfigTest {
  @TempDir Path dir;

  private Path write(String name, String yaml) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, yaml);
    return p;
  }

  @Test
  void fromFile_opensTheTiersAndLinksItDescribes() throws Exception {
    Path file = write("two.yaml", """
        tiers:
          - {name: hot, provider: cpu, capacity: 2MiB}
          - {name: warm, provider: cpu, capacity: 8MiB}
        links:
          - {from: hot, to: warm, mode: write-back}
        """);
    try (StorageEngine engine = StorageEngine.fromFile(file); Arena arena = Arena.ofConfined()) {
      assertEquals(List.of("hot", "warm"), engine.tiers());
      assertEquals("cpu", engine.tier("warm").provider());
      ArtifactId id = ArtifactId.of("cfg", "one");
      MemorySegment bytes = arena.allocate(1000);
      bytes.fill((byte) 7);
      engine.store(id, ArtifactMeta.of(ArtifactType.CUSTOM), bytes);
      assertEquals(1, engine.stats().dirtyArtifacts(), "write-back link from the file");
      engine.flush();
      assertTrue(engine.tier("warm").contains(id));
      assertEquals(LinkMode.WRITE_BACK, engine.admin().contents().getFirst().linkBelow());
    }
  }

  @Test
  void unknownProvider_failsListingTheAvailableOnes() throws Exception {
    Path file = write("bad-provider.yaml", """
        tiers:
          - {name: hot, provider: quantum, capacity: 2MiB}
        """);
    ConfigException e = assertThrows(ConfigException.class, () -> StorageEngine.fromFile(file));
    assertTrue(e.getMessage().contains("quantum") && e.getMessage().contains("cpu"), e.getMessage());
  }

  @Test
  void unknownTierSetting_failsNamingTheFileTheKeyAndTheKnownKeys() throws Exception {
    Path file = write("bad-key.yaml", """
        tiers:
          - {name: hot, provider: cpu, capacity: 2MiB, colour: blue}
        """);
    ConfigException e = assertThrows(ConfigException.class, () -> StorageEngine.fromFile(file));
    String m = e.getMessage();
    assertTrue(m.contains("bad-key.yaml") && m.contains("colour") && m.contains("capacity"), m);
  }

  @Test
  void badCapacity_failsNamingTheValue() throws Exception {
    Path file = write("bad-size.yaml", """
        tiers:
          - {name: hot, provider: cpu, capacity: lots}
        """);
    ConfigException e = assertThrows(ConfigException.class, () -> StorageEngine.fromFile(file));
    assertTrue(e.getMessage().contains("lots") && e.getMessage().contains("capacity"), e.getMessage());
  }

  @Test
  void builder_refusesNonsenseBeforeOpeningAnything() {
    ConfigException twice = assertThrows(ConfigException.class, () -> StorageEngine.builder()
        .tier("a", "cpu", Map.of("capacity", "1MiB"))
        .tier("a", "cpu", Map.of("capacity", "1MiB"))
        .build());
    assertTrue(twice.getMessage().contains("\"a\""), twice.getMessage());
    ConfigException skip = assertThrows(ConfigException.class, () -> StorageEngine.builder()
        .tier("a", "cpu", Map.of("capacity", "1MiB"))
        .tier("b", "cpu", Map.of("capacity", "1MiB"))
        .tier("c", "cpu", Map.of("capacity", "1MiB"))
        .link("a", "c", LinkMode.WRITE_BACK)
        .build());
    assertTrue(skip.getMessage().contains("links[0]") && skip.getMessage().contains("c"), skip.getMessage());
    assertThrows(ConfigException.class, () -> StorageEngine.builder().build());
  }

  @Test
  void badInput_neverLosesWhatIsStored() {
    try (StorageEngine engine = StorageEngine.builder().tier("hot", "cpu", Map.of("capacity", "1MiB")).build();
        Arena arena = Arena.ofConfined()) {
      ArtifactId id = ArtifactId.of("keep", "me");
      MemorySegment bytes = arena.allocate(4096);
      bytes.fill((byte) 42);
      engine.store(id, ArtifactMeta.of(ArtifactType.CUSTOM), bytes);
      assertThrows(IllegalArgumentException.class, () -> ArtifactId.of("bad\u0000id"));
      assertThrows(IllegalArgumentException.class, () -> ArtifactId.of("x".repeat(1025)));
      assertThrows(io.stratacache.core.CapacityException.class,
          () -> engine.store(ArtifactId.of("too", "big"), ArtifactMeta.of(ArtifactType.CUSTOM), arena.allocate(2 << 20)));
      assertThrows(IllegalArgumentException.class, () -> engine.loadInto(id, arena.allocate(10)));
      assertThrows(IllegalArgumentException.class, () -> engine.tier("nowhere"));
      try (Lease l = engine.load(id)) {
        assertEquals(4096, l.size());
        for (long i = 0; i < 4096; i++) {
          assertEquals(42, l.segment().get(ValueLayout.JAVA_BYTE, i));
        }
      }
    }
  }
}
