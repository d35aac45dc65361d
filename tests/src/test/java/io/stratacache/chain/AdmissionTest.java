package io.stratacache.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.config.StrataConfig;
import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.ConfigException;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import io.stratacache.testkit.HeapLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * A link with {@code admit_after: n} writes an artifact down from its n-th use only: before that
 * the artifact lives in the head alone, is never lost while the head holds it, and is dropped
 * (not demoted) when evicted; a version already below is always replaced.
 */
class AdmissionTest {
  private static final int SIZE = 4 << 10;
  private static final ArtifactMeta META = ArtifactMeta.of(ArtifactType.CUSTOM);
  private static final WritebackConfig QUICK = new WritebackConfig(Duration.ofMillis(1), Duration.ofMillis(1),
      Duration.ofMillis(5), Duration.ofSeconds(30), 1L << 30, WritebackConfig.Backpressure.BLOCK);

  private static ArtifactId id(int i) {
    return ArtifactId.of("admit", "a" + i);
  }

  private static MemorySegment payload(Arena arena, int version) {
    MemorySegment s = arena.allocate(SIZE);
    s.fill((byte) version);
    s.set(ValueLayout.JAVA_INT_UNALIGNED, 0, version);
    return s;
  }

  private static int version(Lease l) {
    return l.segment().get(ValueLayout.JAVA_INT_UNALIGNED, 0);
  }

  /** A 16-artifact head (maintenance off, so eviction happens only when asked) over a large heap tier. */
  private static StorageEngine engine(LinkMode mode, int admitAfter) {
    return StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", 16 * SIZE, "high_watermark", 1.0))
        .tier(new HeapLayer("cold", 64 << 20, "lru"), "heap")
        .link("hot", "cold", mode, admitAfter)
        .writeback(QUICK)
        .build();
  }

  private static int load(StorageEngine engine, ArtifactId id) {
    try (Lease l = engine.load(id)) {
      return version(l);
    }
  }

  @ParameterizedTest
  @EnumSource(LinkMode.class)
  void anArtifactUsedFewerThanNTimes_staysInTheHeadOnly_andIsNeverLostWhileTheHeadHoldsIt(LinkMode mode) {
    try (StorageEngine engine = engine(mode, 3); Arena arena = Arena.ofConfined()) {
      engine.store(id(1), META, payload(arena, 1)); // use 1
      assertEquals(1, load(engine, id(1))); // use 2
      engine.flush();
      assertFalse(engine.tier("cold").contains(id(1)), "not yet admitted: nothing written below");
      assertTrue(engine.tier("hot").contains(id(1)));
      assertEquals(0, engine.stats().dirtyArtifacts(), "an artifact not admitted is not dirty");
      assertEquals(1, load(engine, id(1))); // use 3: admitted, written down in the background
      engine.flush();
      assertTrue(engine.tier("cold").contains(id(1)), "written below from its third use");
      try (Lease below = engine.tier("cold").load(id(1))) {
        assertEquals(1, version(below));
      }
      assertTrue(engine.stats().deferredAdmissions() >= 1);
    }
  }

  @ParameterizedTest
  @EnumSource(LinkMode.class)
  void theNthStore_writesDownAtOnce(LinkMode mode) {
    try (StorageEngine engine = engine(mode, 2); Arena arena = Arena.ofConfined()) {
      engine.store(id(2), META, payload(arena, 1));
      engine.flush();
      assertFalse(engine.tier("cold").contains(id(2)));
      engine.store(id(2), META, payload(arena, 2));
      engine.flush();
      try (Lease below = engine.tier("cold").load(id(2))) {
        assertEquals(2, version(below));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(LinkMode.class)
  void evictingAnArtifactNotYetAdmitted_dropsIt_andCountsIt_whileAdmittedOnesAreDemoted(LinkMode mode) {
    try (StorageEngine engine = engine(mode, 2); Arena arena = Arena.ofConfined()) {
      List<ArtifactId> evicted = new ArrayList<>();
      engine.admin().onEviction((tier, id, meta) -> evicted.add(id));
      engine.store(id(0), META, payload(arena, 100));
      assertEquals(100, load(engine, id(0))); // admitted
      for (int i = 1; i <= 20; i++) {
        engine.store(id(i), META, payload(arena, i)); // each used once: the 16th store on evicts the least recently used
      }
      engine.flush();
      assertTrue(engine.stats().droppedUnadmitted() >= 1, "dropped: " + engine.stats().droppedUnadmitted());
      ArtifactId gone = evicted.stream().filter(e -> !e.equals(id(0))).findFirst().orElseThrow();
      assertNull(engine.tryLoad(gone), "an artifact evicted before its admission is gone from every tier");
      assertTrue(engine.tier("cold").contains(id(0)), "the admitted artifact is below");
      assertEquals(100, load(engine, id(0)));
    }
  }

  @ParameterizedTest
  @EnumSource(LinkMode.class)
  void aVersionAlreadyBelow_isAlwaysReplaced_evenBeforeAdmission(LinkMode mode) {
    try (StorageEngine engine = engine(mode, 5); Arena arena = Arena.ofConfined()) {
      engine.tier("cold").store(id(3), META, payload(arena, 1));
      engine.store(id(3), META, payload(arena, 2)); // first use, but the old version is below
      engine.flush();
      try (Lease below = engine.tier("cold").load(id(3))) {
        assertEquals(2, version(below), "no stale version stays below");
      }
      engine.tier("hot").delete(id(3));
      assertEquals(2, load(engine, id(3)));
    }
  }

  @Test
  void admitAfter_isCheckedInCodeAndInYaml() {
    assertThrows(IllegalArgumentException.class, () -> StorageEngine.builder().link("a", "b", LinkMode.WRITE_BACK, 0));
    assertThrows(IllegalArgumentException.class, () -> StorageEngine.builder().link("a", "b", LinkMode.WRITE_BACK, 16));
    String yaml = """
        tiers:
          - {name: hot, provider: cpu, capacity: 1MiB}
          - {name: cold, provider: cpu, capacity: 1MiB}
        links:
          - {from: hot, to: cold, mode: write-back, admit_after: %s}
        """;
    assertEquals(3, StrataConfig.parse(yaml.formatted("3"), "t.yaml").links().get(0).admitAfter());
    assertEquals(1, StrataConfig.parse(yaml.formatted("1"), "t.yaml").links().get(0).admitAfter());
    ConfigException e = assertThrows(ConfigException.class, () -> StrataConfig.parse(yaml.formatted("0"), "t.yaml"));
    assertEquals("t.yaml:5: links[0].admit_after = 0 (expected: an integer from 1 to 15 (1 writes every artifact down))",
        e.getMessage());
    assertThrows(ConfigException.class, () -> StrataConfig.parse(yaml.formatted("two"), "t.yaml"));
    assertNotNull(StrataConfig.parse(yaml.formatted("15"), "t.yaml"));
  }
}
