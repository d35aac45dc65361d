package io.stratacache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.spi.Capability;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Contract {@code durability}, for layers that declare {@link Capability#DURABLE}: what was stored
 * is found again, with its meta and bytes, after the layer is closed and {@linkplain
 * LayerFactory#reopen reopened} over the same medium; capacity accounting, eviction and pins work
 * on what was found; a record {@linkplain LayerFactory#damagePayload damaged} on the medium is never
 * served.
 */
@Contract(value = "durability", requires = Capability.DURABLE)
public abstract class AbstractDurabilityTest extends AbstractLayerTest {
  /** Capacity of most layers this contract opens. */
  protected static final long DURABLE_CAPACITY = 8 << 20;

  private void put(MemoryLayer layer, ArtifactId id, long seed, long size) {
    layer.put(id, meta(seed, size), payload(size, seed));
  }

  /** Fails unless {@code layer} serves {@code id} with the meta and bytes of {@code seed, size}. */
  private void assertServes(MemoryLayer layer, ArtifactId id, long seed, long size) {
    try (Lease lease = layer.get(id)) {
      assertNotNull(lease, id + " is missing");
      assertEquals(meta(seed, size), lease.meta(), "meta of " + id);
      assertEquals(size, lease.size(), "size of " + id);
      assertPayload(bytes(lease), size, seed, id);
    }
  }

  @Test
  public void reopen_keepsArtifactsAndMeta() {
    MemoryLayer layer = open("cold", CAPACITY);
    Map<ArtifactId, Long> sizes = new LinkedHashMap<>();
    for (int i = 0; i < 4; i++) {
      ArtifactId id = ArtifactId.of("d", "k" + i);
      long size = 1 + i * 33_333L;
      put(layer, id, seed + i, size);
      sizes.put(id, size);
    }
    layer.delete(ArtifactId.of("d", "k1"));
    sizes.remove(ArtifactId.of("d", "k1"));
    layer.close();

    MemoryLayer again = reopen("cold", CAPACITY);
    assertEquals(sizes.keySet(), Set.copyOf(again.ids()));
    assertEquals(sizes.size(), again.stats().artifacts());
    sizes.forEach((id, size) -> assertServes(again, id, seed + Integer.parseInt(id.parts()[1].substring(1)), size));
  }

  @Test
  public void reopen_findsEveryArtifact_withMetaBytesAndAccounting() {
    MemoryLayer layer = open("cold", DURABLE_CAPACITY);
    SplittableRandom rnd = new SplittableRandom(seed);
    Map<ArtifactId, long[]> expected = new HashMap<>();
    for (int i = 0; i < 60; i++) {
      ArtifactId id = ArtifactId.of("kv", "m", "c" + rnd.nextInt(40));
      long s = rnd.nextLong();
      int size = rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextInt(96 << 10);
      put(layer, id, s, size);
      expected.put(id, new long[] {s, size});
      if (rnd.nextInt(6) == 0) {
        ArtifactId victim = List.copyOf(expected.keySet()).get(rnd.nextInt(expected.size()));
        assertTrue(layer.delete(victim));
        expected.remove(victim);
      }
    }
    LayerStats before = layer.stats();
    layer.close();

    MemoryLayer reopened = reopen("cold", DURABLE_CAPACITY);
    assertEquals(expected.keySet(), Set.copyOf(reopened.ids()));
    LayerStats after = reopened.stats();
    assertEquals(before.artifacts(), after.artifacts());
    assertEquals(before.usedBytes(), after.usedBytes());
    assertEquals(0, after.corrupt());
    expected.forEach((id, sv) -> assertServes(reopened, id, sv[0], sv[1]));
  }

  @Test
  public void reopen_recoversTenThousandArtifacts() {
    MemoryLayer layer = open("many", 64L << 20);
    for (int i = 0; i < 10_000; i++) {
      put(layer, ArtifactId.of("n", Integer.toString(i)), seed + i, 200 + i % 800);
    }
    layer.close();
    MemoryLayer reopened = reopen("many", 64L << 20);
    assertEquals(10_000, reopened.stats().artifacts());
    Set<ArtifactId> ids = new HashSet<>(reopened.ids());
    assertEquals(10_000, ids.size());
    for (int i = 0; i < 10_000; i++) {
      assertServes(reopened, ArtifactId.of("n", Integer.toString(i)), seed + i, 200 + i % 800);
    }
  }

  @Test
  @NotFor(Capability.SELF_EVICTING)
  public void reopenedLayer_stillEvictsWithinCapacity_andSparesPins() {
    long capacity = 1 << 20;
    int size = 240_000;
    MemoryLayer layer = open("full", capacity);
    for (int i = 0; i < 4; i++) {
      put(layer, ArtifactId.of("f" + i), seed + i, size);
    }
    assertEquals(4, layer.stats().artifacts());
    layer.close();

    MemoryLayer reopened = reopen("full", capacity);
    assertTrue(reopened.pin(ArtifactId.of("f0")));
    List<ArtifactId> evicted = new ArrayList<>();
    reopened.setEvictionListener((tier, id, meta, payload) -> {
      assertEquals(meta(seed + Integer.parseInt(id.value().substring(1)), size), meta);
      return evicted.add(id);
    });
    for (int i = 4; i < 8; i++) {
      put(reopened, ArtifactId.of("f" + i), seed + i, size);
    }
    LayerStats s = reopened.stats();
    assertTrue(s.usedBytes() <= s.capacityBytes(), "used " + s.usedBytes());
    assertEquals(4, s.artifacts());
    assertEquals(4, evicted.size(), "one eviction per store into the full, reopened layer");
    assertFalse(evicted.contains(ArtifactId.of("f0")), "a pinned artifact was evicted");
    assertServes(reopened, ArtifactId.of("f0"), seed, size);
    assertTrue(reopened.unpin(ArtifactId.of("f0")));
  }

  @Test
  public void damagedPayload_isNeverServed_andIsCounted() {
    MemoryLayer layer = open("rot", DURABLE_CAPACITY);
    for (int i = 0; i < 5; i++) {
      put(layer, ArtifactId.of("r" + i), seed + i, 50_000);
    }
    layer.close();
    layers().damagePayload("rot", ArtifactId.of("r2"));

    MemoryLayer reopened = reopen("rot", DURABLE_CAPACITY);
    assertNull(reopened.get(ArtifactId.of("r2")), "a damaged record was served");
    assertFalse(reopened.contains(ArtifactId.of("r2")));
    assertEquals(1, reopened.stats().corrupt());
    for (int i = 0; i < 5; i++) {
      if (i != 2) {
        assertServes(reopened, ArtifactId.of("r" + i), seed + i, 50_000);
      }
    }
    reopened.close();
    MemoryLayer third = reopen("rot", DURABLE_CAPACITY);
    assertEquals(4, third.stats().artifacts(), "the damaged record stays gone");
    assertEquals(0, third.stats().corrupt());
  }

  @Test
  public void uncommittedReservation_isAbsentAfterReopen() {
    MemoryLayer layer = open("res", DURABLE_CAPACITY);
    put(layer, ArtifactId.of("kept"), seed, 1000);
    Reservation r = layer.reserve(ArtifactId.of("half"), meta(seed, 4096), 4096);
    fill(r.segment(), seed);
    r.close();
    layer.close();
    MemoryLayer reopened = reopen("res", DURABLE_CAPACITY);
    assertEquals(List.of(ArtifactId.of("kept")), reopened.ids());
    assertServes(reopened, ArtifactId.of("kept"), seed, 1000);
  }

  @Test
  public void leaseOpenAcrossClose_staysReadable_andReopenFindsTheArtifact() {
    MemoryLayer layer = open("lease", DURABLE_CAPACITY);
    put(layer, ArtifactId.of("l"), seed, 70_000);
    Lease lease = layer.get(ArtifactId.of("l"));
    layer.close();
    assertPayload(bytes(lease), 70_000, seed, lease.id());
    lease.close();
    MemoryLayer reopened = reopen("lease", DURABLE_CAPACITY);
    assertServes(reopened, ArtifactId.of("l"), seed, 70_000);
  }

  @Test
  public void reopenTwice_changesNothing_andAnEmptyLayerStaysEmpty() {
    MemoryLayer empty = open("empty", DURABLE_CAPACITY);
    empty.close();
    MemoryLayer stillEmpty = reopen("empty", DURABLE_CAPACITY);
    assertEquals(new LayerStats("empty", DURABLE_CAPACITY, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), stillEmpty.stats());

    MemoryLayer layer = open("twice", DURABLE_CAPACITY);
    put(layer, ArtifactId.of("t"), seed, 12_345);
    layer.close();
    reopen("twice", DURABLE_CAPACITY).close();
    MemoryLayer third = reopen("twice", DURABLE_CAPACITY);
    assertEquals(List.of(ArtifactId.of("t")), third.ids());
    assertServes(third, ArtifactId.of("t"), seed, 12_345);
  }
}
