package io.stratacache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.spi.BatchAccess;
import io.stratacache.spi.Capability;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Contract {@code capacity}: a store that cannot fit (too large, or every byte leased or pinned)
 * is refused with a {@link io.stratacache.core.CapacityException} that names the tier, before
 * anything is evicted, and loses nothing; otherwise the layer makes room and keeps its accounting.
 */
@Contract("capacity")
public abstract class AbstractCapacityTest extends AbstractLayerTest {
  @Test
  public void put_largerThanTheLayer_isRefused_andLosesNothing() {
    MemoryLayer layer = open("hot", CAPACITY);
    putThird(layer, "a", 0);
    long size = CAPACITY + 1;
    CapacityException e = assertThrows(
        CapacityException.class, () -> layer.put(ArtifactId.of("huge"), ArtifactMeta.custom(), payload(size, seed)));
    assertTrue(e.getMessage().contains("hot"), "message names the tier: " + e.getMessage());
    assertTrue(e.getMessage().contains(Long.toString(size)), "message names the size: " + e.getMessage());
    assertTrue(layer.contains(ArtifactId.of("a")));
    assertFalse(layer.contains(ArtifactId.of("huge")));
    assertEquals(1, layer.stats().rejected());
    assertEquals(0, layer.stats().evictions());

    assertThrows(CapacityException.class, () -> layer.reserve(ArtifactId.of("huge"), ArtifactMeta.custom(), size));
    assertTrue(layer.contains(ArtifactId.of("a")));
  }

  @Test
  public void put_intoALayerFullOfLeases_isRefused_andLosesNothing() {
    MemoryLayer layer = open("hot", CAPACITY);
    List<Lease> leases = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        ArtifactId id = ArtifactId.of("k" + i);
        layer.put(id, ArtifactMeta.custom(), payload(THIRD, seed + i));
        leases.add(layer.get(id));
      }
      CapacityException e = assertThrows(
          CapacityException.class, () -> layer.put(ArtifactId.of("new"), ArtifactMeta.custom(), payload(THIRD, seed)));
      assertTrue(e.getMessage().contains("hot"), "message names the tier: " + e.getMessage());
      assertEquals(1, layer.stats().rejected());
      assertEquals(0, layer.stats().evictions());
      for (int i = 0; i < 3; i++) {
        assertTrue(layer.contains(ArtifactId.of("k" + i)));
        assertPayload(bytes(leases.get(i)), THIRD, seed + i, leases.get(i).id());
      }
    } finally {
      leases.forEach(Lease::close);
    }
    putThird(layer, "new", 0);
    assertTrue(layer.contains(ArtifactId.of("new")), "put once the leases were closed");
  }

  @Test
  @NotFor(Capability.SELF_EVICTING)
  public void put_thatEvictingEverythingEvictableCannotFit_isRefusedBeforeEvictingAnything() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    ArtifactId b = ArtifactId.of("b");
    ArtifactId c = ArtifactId.of("c");
    putThird(layer, "a", 0);
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    assertTrue(layer.pin(c));
    List<ArtifactId> asked = new ArrayList<>();
    layer.setEvictionListener((tier, id, meta, bytes) -> asked.add(id));
    try (Lease leased = layer.get(b)) {
      // Only a can go, and a plus the free space is less than two thirds.
      assertThrows(
          CapacityException.class,
          () -> layer.put(ArtifactId.of("big"), ArtifactMeta.custom(), payload(2L * THIRD, seed + 3)));
      assertEquals(List.of(), asked, "a refused put asked to evict");
      assertEquals(0, layer.stats().evictions());
      assertEquals(Set.of(a, b, c), Set.copyOf(layer.ids()));
      assertPayload(bytes(leased), THIRD, seed + 1, b);
    }
  }

  @Test
  @NotFor(Capability.SELF_EVICTING)
  public void put_intoALayerFullOfPins_isRefused_andLosesNothing() {
    MemoryLayer layer = open("hot", CAPACITY);
    for (int i = 0; i < 3; i++) {
      ArtifactId id = ArtifactId.of("k" + i);
      layer.put(id, ArtifactMeta.custom(), payload(THIRD, seed + i));
      assertTrue(layer.pin(id));
    }
    assertThrows(
        CapacityException.class, () -> layer.put(ArtifactId.of("new"), ArtifactMeta.custom(), payload(THIRD, seed)));
    assertEquals(3, layer.ids().size());
    assertEquals(3, layer.stats().pinned());
    assertTrue(layer.unpin(ArtifactId.of("k1")));
    putThird(layer, "new", 0);
    assertEquals(Set.of(ArtifactId.of("k0"), ArtifactId.of("k2"), ArtifactId.of("new")), Set.copyOf(layer.ids()));
  }

  @Test
  public void randomSizes_fillFreeAndRefill_keepSucceeding() {
    MemoryLayer layer = open("hot", CAPACITY);
    SplittableRandom random = new SplittableRandom(seed);
    Map<ArtifactId, long[]> expected = new HashMap<>();
    MemorySegment buffer = arena.allocate(CAPACITY / 2);
    for (int i = 0; i < 600; i++) {
      ArtifactId id = ArtifactId.of("r" + random.nextInt(200));
      if (random.nextInt(4) == 0) {
        layer.delete(id);
        expected.remove(id);
        continue;
      }
      long size = random.nextInt(4) == 0 ? random.nextLong(CAPACITY / 2) : random.nextLong(CAPACITY / 16);
      long s = random.nextLong();
      MemorySegment p = buffer.asSlice(0, size);
      fill(p, s);
      layer.put(id, meta(s, size), p);
      expected.put(id, new long[] {s, size});
      assertTrue(layer.contains(id), "put of " + size + " bytes, step " + i);
    }
    for (ArtifactId id : layer.ids()) {
      try (Lease lease = layer.get(id)) {
        long[] sv = expected.get(id);
        assertNotNull(sv, "layer holds " + id + " which was deleted");
        assertPayload(bytes(lease), sv[1], sv[0], id);
      }
    }
  }

  @Test
  @NotFor(Capability.SELF_EVICTING)
  public void reserve_makesRoomByEviction() {
    MemoryLayer layer = open("hot", CAPACITY);
    for (int i = 0; i < 3; i++) {
      putThird(layer, "k" + i, i);
    }
    try (Reservation r = layer.reserve(ArtifactId.of("new"), ArtifactMeta.custom(), THIRD)) {
      fill(r.segment(), seed + 9);
      r.commit();
    }
    assertFalse(layer.contains(ArtifactId.of("k0")));
    try (Lease lease = layer.get(ArtifactId.of("new"))) {
      assertPayload(bytes(lease), THIRD, seed + 9, lease.id());
    }
  }

  @Test
  @NotFor(Capability.SELF_EVICTING)
  public void stats_afterEvictions_accountForWhatRemains() {
    MemoryLayer layer = open("hot", CAPACITY);
    for (int i = 0; i < 10; i++) {
      putThird(layer, "k" + i, i);
    }
    LayerStats s = layer.stats();
    assertEquals(10, s.puts());
    assertEquals(7, s.evictions());
    assertEquals(3, s.artifacts());
    assertTrue(s.usedBytes() >= 3L * THIRD && s.usedBytes() <= CAPACITY, "usedBytes " + s.usedBytes());
    BatchAccess.deleteAll(layer, layer.ids());
    assertEquals(0, layer.stats().usedBytes());
  }
}
