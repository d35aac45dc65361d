package com.example.deflate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import io.stratacache.testkit.EngineInvariants;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The engine opened from this project's config.yaml stores and loads through the deflate tiers. */
@ExtendWith(EngineInvariants.class)
class DeflateEngineTest {
  private final StorageEngine engine = StorageEngine.fromFile(Path.of("config.yaml"));

  @AfterEach
  void close() {
    engine.close();
  }

  @Test
  void engineFromYaml_storesAndLoadsThroughTheDeflateTiers() {
    assertEquals(List.of("hot", "warm"), engine.tiers());
    assertEquals("deflate", engine.tier("hot").provider());
    byte[] text = "the quick brown fox jumps over the lazy dog. ".repeat(20_000).getBytes();
    ArtifactId id = ArtifactId.of("example", "text");
    engine.store(id, ArtifactMeta.of(ArtifactType.CUSTOM), MemorySegment.ofArray(text));

    try (Lease lease = engine.load(id)) {
      assertEquals("hot", lease.tier());
      assertArrayEquals(text, lease.segment().toArray(ValueLayout.JAVA_BYTE));
    }
    long used = engine.tier("hot").stats().usedBytes();
    assertTrue(used > 0 && used < text.length / 20, "900 KB of repeated text took " + used + " compressed bytes");
  }
}
