package io.stratacache.chain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactNotFoundException;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.CapacityException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import io.stratacache.spi.Reservation;
import io.stratacache.testkit.EngineInvariants;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chain's contracts over {write-through, write-back} × {2, 3 tiers} × artifact sizes, each
 * test followed by the {@link EngineInvariants} checks. Tiers are {@code t0} (head), {@code t1},
 * {@code t2}; each holds {@value #HEAD_SLOTS}, twice and four times as many artifacts.
 */
@ParameterizedClass(name = "{0} x {1} tiers x {2} bytes")
@MethodSource("chains")
@ExtendWith(EngineInvariants.class)
class TierChainTest {
  static final int HEAD_SLOTS = 16;

  static Stream<Arguments> chains() {
    List<Arguments> out = new ArrayList<>();
    for (LinkMode mode : LinkMode.values()) {
      for (int tiers : new int[] {2, 3}) {
        for (int size : new int[] {4 << 10, 256 << 10}) {
          out.add(Arguments.of(mode, tiers, size));
        }
      }
    }
    return out.stream();
  }

  @Parameter(0)
  LinkMode mode;

  @Parameter(1)
  int tierCount;

  @Parameter(2)
  int size;

  private final Arena arena = Arena.ofShared();
  private StorageEngine engine;
  private String last;
  private final ArtifactMeta meta = ArtifactMeta.of(ArtifactType.CUSTOM);

  @BeforeEach
  void open() {
    // a flush interval longer than any test: write-back reaches lower tiers only through flush()
    // or eviction, so what the tests see does not depend on the worker's timing
    StorageEngine.Builder b = StorageEngine.builder().writeback(WritebackConfig.builder()
        .flushInterval(Duration.ofHours(1)).retryBackoffMin(Duration.ofMillis(1)).retryBackoffMax(Duration.ofMillis(50))
        .closeTimeout(Duration.ofSeconds(10)).build());
    for (int i = 0; i < tierCount; i++) {
      // room for exactly HEAD_SLOTS << i artifacts, plus slack for the allocator's alignment; these
      // tests watch each store make room itself, so background maintenance is off (MaintenanceTest)
      b.tier("t" + i, "cpu", Map.of("capacity", (long) (HEAD_SLOTS << i) * size + 4096, "high_watermark", 1.0));
      if (i > 0) {
        b.link("t" + (i - 1), "t" + i, mode);
      }
    }
    engine = b.build();
    last = "t" + (tierCount - 1);
  }

  @AfterEach
  void close() {
    try {
      engine.close();
    } finally {
      arena.close();
    }
  }

  private ArtifactId id(int i) {
    return ArtifactId.of("test", "a" + i);
  }

  private MemorySegment payload(ArtifactId id, long version) {
    return Payloads.make(arena, id, version, size);
  }

  private void assertLoads(ArtifactId id, long version) {
    try (Lease l = engine.load(id)) {
      assertEquals(version, Payloads.verify(id, l.segment()), "version of " + id);
    }
  }

  private boolean inTier(ArtifactId id, String tier) {
    return engine.tier(tier).contains(id);
  }

  @Test
  void chainStore_landsInEveryTier_afterLinksRun() {
    ArtifactId id = id(1);
    engine.store(id, meta, payload(id, 1));
    assertTrue(inTier(id, "t0"));
    if (mode == LinkMode.WRITE_THROUGH) {
      for (String t : engine.tiers()) {
        assertTrue(inTier(id, t), "write-through store missing from " + t);
      }
    }
    engine.flush();
    for (String t : engine.tiers()) {
      assertTrue(inTier(id, t), "store missing from " + t + " after flush");
      try (Lease l = engine.tier(t).load(id)) {
        assertEquals(1, Payloads.verify(id, l.segment()));
        assertEquals(meta, l.meta());
      }
    }
  }

  @Test
  void writeBack_missesBelowUntilFlush_andConvergesWithOneFlush() {
    assumeTrue(mode == LinkMode.WRITE_BACK);
    List<ArtifactId> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ids.add(id(i));
      engine.store(id(i), meta, payload(id(i), 7));
    }
    for (ArtifactId id : ids) {
      for (int t = 1; t < tierCount; t++) {
        assertFalse(inTier(id, "t" + t), id + " reached t" + t + " before its flush interval");
      }
    }
    engine.flush();
    assertEquals(0, engine.stats().dirtyArtifacts());
    for (ArtifactId id : ids) {
      for (String t : engine.tiers()) {
        assertTrue(inTier(id, t), id + " missing from " + t + " after one flush");
      }
    }
  }

  @Test
  void exactStore_toLowerTier_missesInHead() {
    ArtifactId id = id(2);
    engine.tier("t1").store(id, meta, payload(id, 1));
    assertFalse(inTier(id, "t0"));
    assertTrue(inTier(id, "t1"));
    if (tierCount == 3) {
      assertFalse(inTier(id, "t2"), "exact store must not reach the tier below");
    }
    ArtifactNotFoundException e = assertThrows(ArtifactNotFoundException.class, () -> engine.tier("t0").load(id));
    assertTrue(e.getMessage().contains(id.value()), e.getMessage());
  }

  @Test
  void exactStore_removesStaleCopiesElsewhere() {
    ArtifactId id = id(3);
    engine.store(id, meta, payload(id, 1));
    engine.flush();
    engine.tier(last).store(id, meta, payload(id, 2));
    for (String t : engine.tiers()) {
      assertEquals(t.equals(last), inTier(id, t), "copy in " + t);
    }
    try (Lease l = engine.tier(last).load(id)) {
      assertEquals(2, Payloads.verify(id, l.segment()));
    }
  }

  @Test
  void exactLoad_reportsTheTierItHit() {
    ArtifactId id = id(4);
    engine.tier(last).store(id, meta, payload(id, 1));
    try (Lease l = engine.tier(last).load(id)) {
      assertEquals(last, l.tier());
    }
    assertEquals(last, engine.admin().tierOf(id));
  }

  @Test
  void chainLoad_promotesHitFromLowerTier() {
    ArtifactId id = id(5);
    engine.tier(last).store(id, meta, payload(id, 3));
    try (Lease l = engine.load(id)) {
      assertEquals(last, l.tier(), "a chain load reports the tier it hit");
      assertEquals(3, Payloads.verify(id, l.segment()));
    }
    for (String t : engine.tiers()) {
      assertTrue(inTier(id, t), "promoted copy missing from " + t);
    }
    try (Lease l = engine.load(id)) {
      assertEquals("t0", l.tier());
      assertEquals(3, Payloads.verify(id, l.segment()));
    }
  }

  @Test
  void chainLoad_doesNotPromoteWhenMetaSaysSo() {
    ArtifactId id = id(6);
    ArtifactMeta pinnedDown = ArtifactMeta.builder(ArtifactType.PARAM_CHUNK).hint(ArtifactMeta.HINT_PROMOTE, "false").build();
    engine.tier(last).store(id, pinnedDown, payload(id, 1));
    try (Lease l = engine.load(id)) {
      assertEquals(last, l.tier());
      assertEquals(pinnedDown, l.meta());
    }
    assertFalse(inTier(id, "t0"));
  }

  @Test
  void prefer_usesTheTier_elseFallsBackToChain() {
    ArtifactId id = id(7);
    engine.tier(last).store(id, meta, payload(id, 1));
    try (Lease l = engine.tier(last).loadPreferred(id)) {
      assertEquals(last, l.tier());
    }
    try (Lease l = engine.tier("t0").loadPreferred(id)) {
      assertEquals(last, l.tier(), "prefer falls back to the chain, which hits " + last);
    }
    engine.delete(id);
    ArtifactNotFoundException e = assertThrows(ArtifactNotFoundException.class, () -> engine.tier("t0").loadPreferred(id));
    assertTrue(e.getMessage().contains("every tier"), e.getMessage());
  }

  @Test
  void storeDownward_startsAtTheTier_andFollowsTheLinksBelowIt() {
    ArtifactId id = id(8);
    engine.store(id, meta, payload(id, 1));
    engine.flush();
    String middle = engine.tiers().get(1);
    engine.tier(middle).storeDownward(id, meta, payload(id, 2));
    assertFalse(inTier(id, "t0"), "the stale copy above the tier is removed");
    engine.flush();
    for (String t : engine.tiers().subList(1, tierCount)) {
      try (Lease l = engine.tier(t).load(id)) {
        assertEquals(2, Payloads.verify(id, l.segment()), "version in " + t);
      }
    }
    assertLoads(id, 2);
  }

  @Test
  void unknownTier_failsNamingTheTiersThereAre() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.tier("no-such-tier"));
    assertTrue(e.getMessage().contains("no-such-tier") && e.getMessage().contains(engine.tiers().toString()), e.getMessage());
  }

  @Test
  void deleteWithTier_keepsTheOtherCopies() {
    ArtifactId id = id(9);
    engine.store(id, meta, payload(id, 1));
    engine.flush();
    assertTrue(engine.tier("t0").delete(id));
    assertFalse(inTier(id, "t0"));
    assertTrue(inTier(id, "t1"));
    assertTrue(engine.contains(id));
    assertFalse(engine.tier("t0").delete(id), "a second exact delete finds nothing");
  }

  @Test
  void delete_removesEveryCopyAndItsDirtyMark() {
    ArtifactId id = id(10);
    engine.store(id, meta, payload(id, 1));
    assertTrue(engine.delete(id));
    assertEquals(0, engine.stats().dirtyArtifacts());
    engine.flush();
    for (String t : engine.tiers()) {
      assertFalse(inTier(id, t), "deleted artifact still in " + t);
    }
    assertNull(engine.tryLoad(id));
    assertFalse(engine.delete(id));
  }

  @Test
  void storeAgain_replacesInEveryTier() {
    ArtifactId id = id(11);
    engine.store(id, meta, payload(id, 1));
    engine.flush();
    engine.store(id, meta, payload(id, 2));
    engine.flush();
    for (String t : engine.tiers()) {
      try (Lease l = engine.tier(t).load(id)) {
        assertEquals(2, Payloads.verify(id, l.segment()), "version in " + t);
      }
    }
  }

  @Test
  void anArtifactLargerThanHalfTheHead_canBeStoredAgain() {
    ArtifactId big = id(800);
    int bigSize = HEAD_SLOTS * size * 2 / 3; // two versions do not fit side by side
    engine.store(big, meta, Payloads.make(arena, big, 1, bigSize));
    engine.store(big, meta, Payloads.make(arena, big, 2, bigSize));
    try (Lease l = engine.load(big)) {
      assertEquals(2, Payloads.verify(big, l.segment()));
    }
    engine.flush();
    for (String t : engine.tiers()) {
      try (Lease l = engine.tier(t).load(big)) {
        assertEquals(2, Payloads.verify(big, l.segment()), "version in " + t);
      }
    }
  }

  @Test
  void leasedAndPinnedArtifacts_surviveEvictionPressure() {
    ArtifactId leased = id(100);
    ArtifactId pinned = id(101);
    engine.store(leased, meta, payload(leased, 1));
    engine.store(pinned, meta, payload(pinned, 1));
    assertTrue(engine.tier("t0").pin(pinned));
    try (Lease lease = engine.tier("t0").load(leased)) {
      for (int i = 0; i < HEAD_SLOTS * 3; i++) {
        engine.store(id(i), meta, payload(id(i), 1));
      }
      assertTrue(inTier(leased, "t0"), "leased artifact evicted");
      assertTrue(inTier(pinned, "t0"), "pinned artifact evicted");
      assertEquals(1, Payloads.verify(leased, lease.segment()), "leased bytes changed under pressure");
    } finally {
      engine.tier("t0").unpin(pinned);
    }
    assertLoads(pinned, 1);
  }

  @Test
  void dirtyArtifactEvictedUnderPressure_isNotLost() {
    int n = HEAD_SLOTS + HEAD_SLOTS / 2; // more than the head holds, less than the tier below
    for (int i = 0; i < n; i++) {
      engine.store(id(i), meta, payload(id(i), i + 1));
    }
    for (int i = 0; i < n; i++) {
      assertLoads(id(i), i + 1);
    }
    engine.flush();
    for (int i = 0; i < n; i++) {
      assertTrue(engine.tier(last).contains(id(i)), id(i) + " missing from " + last);
      assertLoads(id(i), i + 1);
    }
  }

  @Test
  void evictedArtifact_isDemotedBeforeItsSpaceIsReused() {
    ArtifactId only = id(200);
    engine.tier("t0").store(only, meta, payload(only, 5));
    for (int i = 0; i < HEAD_SLOTS + 4; i++) {
      engine.store(id(i), meta, payload(id(i), 1));
    }
    assertFalse(inTier(only, "t0"), "expected the head to have evicted " + only);
    assertTrue(inTier(only, "t1"), "evicted artifact was not demoted to t1");
    assertTrue(engine.stats().demotions() >= 1);
    assertLoads(only, 5);
  }

  @Test
  void oversizeArtifact_isRefusedWithAClearError_andNothingIsLost() {
    ArtifactId kept = id(300);
    engine.store(kept, meta, payload(kept, 1));
    ArtifactId big = id(301);
    long headCapacity = engine.stats().tier("t0").capacityBytes();
    MemorySegment huge = arena.allocate(headCapacity + 1);
    CapacityException e = assertThrows(CapacityException.class, () -> engine.store(big, meta, huge));
    assertTrue(e.getMessage().contains(String.valueOf(headCapacity + 1)), e.getMessage());
    assertFalse(engine.contains(big));
    assertLoads(kept, 1);
  }

  @Test
  void loadInto_copiesThePayload_andRefusesASmallDestination() {
    ArtifactId id = id(400);
    engine.store(id, meta, payload(id, 9));
    MemorySegment dst = arena.allocate(size);
    assertEquals(size, engine.loadInto(id, dst));
    assertEquals(9, Payloads.verify(id, dst));
    MemorySegment small = arena.allocate(size - 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.loadInto(id, small));
    assertTrue(e.getMessage().contains(String.valueOf(size)), e.getMessage());
    assertThrows(ArtifactNotFoundException.class, () -> engine.loadInto(id(401), dst));
    assertLoads(id, 9);
  }

  @Test
  void reserve_thenCommit_storesLikeStore() {
    ArtifactId id = id(500);
    MemorySegment src = payload(id, 4);
    try (Reservation r = engine.reserve(id, meta, size)) {
      MemorySegment.copy(src, 0, r.segment(), 0, size);
      assertFalse(engine.contains(id), "a reservation is invisible until committed");
      r.commit();
    }
    assertLoads(id, 4);
    engine.flush();
    assertTrue(inTier(id, last));
    ArtifactId discarded = id(501);
    try (Reservation r = engine.reserve(discarded, meta, size)) {
      r.segment().fill((byte) 1);
    }
    assertFalse(engine.contains(discarded));
  }

  @Test
  void closedEngine_refusesCalls() {
    ArtifactId id = id(600);
    engine.store(id, meta, payload(id, 1));
    StorageEngine other = StorageEngine.builder().tier("solo", "cpu", Map.of("capacity", "1MiB")).build();
    other.close();
    other.close();
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class, () -> other.tryLoad(id));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  @Test
  void leaseBytes_areReadOnly() {
    ArtifactId id = id(700);
    engine.store(id, meta, payload(id, 1));
    try (Lease l = engine.load(id)) {
      assertTrue(l.segment().isReadOnly());
      assertThrows(IllegalArgumentException.class, () -> l.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 0));
      byte[] copy = l.segment().toArray(ValueLayout.JAVA_BYTE);
      assertArrayEquals(copy, payload(id, 1).toArray(ValueLayout.JAVA_BYTE));
    }
  }
}
