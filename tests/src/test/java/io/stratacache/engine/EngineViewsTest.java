package io.stratacache.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactNotFoundException;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The per-tier view ({@code engine.tier(name)}) and the admin accessor ({@code engine.admin()}). */
class EngineViewsTest {
  private static final int SIZE = 64 << 10;
  private static final ArtifactMeta META = ArtifactMeta.of(ArtifactType.CUSTOM);

  private final Arena arena = Arena.ofShared();
  private StorageEngine engine;

  @BeforeEach
  void open() {
    // the head holds 8 artifacts of SIZE, the tier below 64
    engine = StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", 8L * SIZE + 4096))
        .tier("warm", "cpu", Map.of("capacity", 64L * SIZE + 4096))
        .link("hot", "warm", LinkMode.WRITE_THROUGH)
        .build();
  }

  @AfterEach
  void close() {
    engine.close();
    arena.close();
  }

  private static ArtifactId id(int i) {
    return ArtifactId.of("view", "a" + i);
  }

  private MemorySegment payload(int fill) {
    MemorySegment s = arena.allocate(SIZE);
    s.fill((byte) fill);
    return s;
  }

  @Test
  void tierView_namesItsTierAndProvider_andListsWhatItHolds() {
    Tier hot = engine.tier("hot");
    assertEquals("hot", hot.name());
    assertEquals("cpu", hot.provider());
    engine.store(id(1), META, payload(1));
    engine.tier("warm").store(id(2), META, payload(2));
    assertEquals(Set.of(id(1)), Set.copyOf(hot.ids()));
    assertEquals(Set.of(id(1), id(2)), Set.copyOf(engine.tier("warm").ids()));
    assertEquals(1, hot.stats().artifacts());
    assertEquals(2, engine.tier("warm").stats().artifacts());
  }

  @Test
  void tierView_actsOnItsTierOnly() {
    engine.store(id(1), META, payload(1));
    Tier hot = engine.tier("hot");
    Tier warm = engine.tier("warm");
    assertTrue(hot.delete(id(1)));
    assertFalse(hot.contains(id(1)));
    assertTrue(warm.contains(id(1)));
    assertNull(hot.tryLoad(id(1)), "an exact load never falls back to the chain");
    assertThrows(ArtifactNotFoundException.class, () -> hot.load(id(1)));
    try (Lease l = warm.load(id(1))) {
      assertEquals("warm", l.tier());
    }
    assertFalse(hot.contains(id(1)), "an exact load promotes nothing");
    try (Lease l = hot.loadPreferred(id(1))) {
      assertEquals("warm", l.tier(), "prefer falls back to the chain");
    }
    assertTrue(hot.contains(id(1)), "the chain load that prefer fell back to promotes");
  }

  @Test
  void unknownTier_failsNamingTheValueAndTheTiersThereAre() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.tier("cold"));
    assertEquals("tier \"cold\" (expected one of [hot, warm])", e.getMessage());
  }

  @Test
  void tierOf_namesTheFirstTierHoldingTheArtifact() {
    assertNull(engine.admin().tierOf(id(1)));
    engine.store(id(1), META, payload(1));
    assertEquals("hot", engine.admin().tierOf(id(1)));
    engine.tier("hot").delete(id(1));
    assertEquals("warm", engine.admin().tierOf(id(1)));
    assertFalse(engine.tier("hot").contains(id(1)), "tierOf promotes nothing");
  }

  @Test
  void contents_listsEveryTierHeadFirst_withItsLinkAndIds() {
    engine.store(id(1), META, payload(1));
    engine.tier("warm").store(id(2), META, payload(2));
    List<EngineAdmin.TierContents> contents = engine.admin().contents();
    assertEquals(2, contents.size());
    EngineAdmin.TierContents hot = contents.get(0);
    EngineAdmin.TierContents warm = contents.get(1);
    assertEquals("hot", hot.tier());
    assertEquals("cpu", hot.provider());
    assertEquals(LinkMode.WRITE_THROUGH, hot.linkBelow());
    assertEquals(Set.of(id(1)), Set.copyOf(hot.ids()));
    assertEquals("warm", warm.tier());
    assertNull(warm.linkBelow(), "the last tier has no link below");
    assertEquals(Set.of(id(1), id(2)), Set.copyOf(warm.ids()));
    assertEquals(0, engine.admin().lockedArtifacts());
  }

  @Test
  void evictionObserver_hearsEvictionsUntilItsRegistrationIsClosed() {
    List<String> seen = new CopyOnWriteArrayList<>();
    EngineAdmin.Registration r = engine.admin().onEviction((tier, id, meta) -> {
      assertEquals(META, meta);
      seen.add(tier + ":" + id.value());
    });
    for (int i = 0; i < 12; i++) {
      engine.store(id(i), META, payload(i));
    }
    assertFalse(seen.isEmpty(), "the head had to evict: " + engine.stats());
    assertTrue(seen.stream().allMatch(s -> s.startsWith("hot:")), seen.toString());
    Set<ArtifactId> stillInHot = new HashSet<>(engine.tier("hot").ids());
    for (String s : seen) {
      assertFalse(stillInHot.contains(ArtifactId.of(s.substring("hot:".length()))), s + " was reported evicted but is still held");
    }
    r.close();
    r.close();
    int heard = seen.size();
    for (int i = 12; i < 24; i++) {
      engine.store(id(i), META, payload(i));
    }
    assertEquals(heard, seen.size(), "an observer heard evictions after its registration was closed");
  }

  @Test
  void evictionObserver_mayCloseItsOwnRegistrationFromItsCallback() {
    List<String> seen = new CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicReference<EngineAdmin.Registration> self = new java.util.concurrent.atomic.AtomicReference<>();
    self.set(engine.admin().onEviction((tier, id, meta) -> {
      seen.add(id.value());
      self.get().close(); // must neither deadlock nor throw
    }));
    for (int i = 0; i < 12; i++) {
      engine.store(id(i), META, payload(i));
    }
    assertFalse(seen.isEmpty(), "the head had to evict: " + engine.stats());
    self.get().close(); // from outside: waits for a notification another thread may still be delivering
    int heard = seen.size();
    for (int i = 12; i < 24; i++) {
      engine.store(id(i), META, payload(i));
    }
    assertEquals(heard, seen.size(), "heard after closing itself: " + seen);
  }

  @Test
  void tierPin_keepsTheArtifactInThatTierUntilUnpinned() {
    engine.store(id(0), META, payload(0));
    Tier hot = engine.tier("hot");
    assertTrue(hot.pin(id(0)));
    assertFalse(hot.pin(id(99)), "pin of an artifact the tier does not hold");
    for (int i = 1; i < 20; i++) {
      engine.store(id(i), META, payload(i));
    }
    assertTrue(hot.contains(id(0)), "a pinned artifact was evicted");
    assertTrue(hot.unpin(id(0)));
    assertFalse(hot.unpin(id(0)), "unpin without a pin");
    for (int i = 20; i < 40; i++) {
      engine.store(id(i), META, payload(i));
    }
    assertFalse(hot.contains(id(0)), "an unpinned artifact stays evictable");
    assertTrue(engine.tier("warm").contains(id(0)));
  }

  @Test
  void nullArguments_failNamingTheParameter_andLoseNothing() {
    engine.store(id(1), META, payload(1));
    Tier hot = engine.tier("hot");
    Map<String, Executable> calls = new java.util.LinkedHashMap<>();
    calls.put("name", () -> engine.tier(null));
    calls.put("id", () -> hot.store(null, META, payload(2)));
    calls.put("meta", () -> hot.store(id(1), null, payload(2)));
    calls.put("payload", () -> hot.storeDownward(id(1), META, null));
    calls.put("observer", () -> engine.admin().onEviction(null));
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, Executable> c : calls.entrySet()) {
      NullPointerException e = assertThrows(NullPointerException.class, c.getValue(), c.getKey());
      if (e.getMessage() == null || !e.getMessage().startsWith(c.getKey() + ":")) {
        wrong.add(c.getKey() + " -> " + e.getMessage());
      }
    }
    for (Executable idCall : List.<Executable>of(
        () -> hot.load(null), () -> hot.tryLoad(null), () -> hot.loadPreferred(null), () -> hot.contains(null),
        () -> hot.delete(null), () -> hot.pin(null), () -> hot.unpin(null), () -> engine.admin().tierOf(null))) {
      NullPointerException e = assertThrows(NullPointerException.class, idCall);
      if (e.getMessage() == null || !e.getMessage().startsWith("id:")) {
        wrong.add("id -> " + e.getMessage());
      }
    }
    assertEquals(List.of(), wrong, "messages that do not start with the parameter's name");
    assertEquals(0, engine.admin().lockedArtifacts(), "a refused call left a lock held");
    try (Lease l = engine.load(id(1))) {
      assertEquals(1, l.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
    }
  }

  @Test
  void viewsOfAClosedEngine_refuseCalls() {
    Tier hot = engine.tier("hot");
    engine.close();
    assertThrows(LayerUnavailableException.class, () -> hot.store(id(1), META, payload(1)));
    assertThrows(LayerUnavailableException.class, () -> hot.tryLoad(id(1)));
    assertThrows(LayerUnavailableException.class, () -> engine.admin().tierOf(id(1)));
  }
}
