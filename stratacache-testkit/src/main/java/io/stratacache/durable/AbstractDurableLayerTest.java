package io.stratacache.durable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.fault.Seeds;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Contracts of layers whose artifacts outlive the layer object, stated once for every durable
 * provider: what was stored is found again, with its meta and bytes, after the layer is closed and
 * opened again over the same medium; capacity accounting, eviction and pins work on what was
 * found; a record damaged on the medium is never served. A provider runs it with a few lines that
 * say how to open its layer on a fresh medium, how to reopen it, and how to damage one stored
 * payload.
 */
public abstract class AbstractDurableLayerTest {
  @RegisterExtension static final org.junit.jupiter.api.extension.TestWatcher SEED = Seeds.REPORTER;

  /** Capacity of most layers the suite opens. */
  protected static final long CAPACITY = 8 << 20;

  private final List<MemoryLayer> opened = new ArrayList<>();
  protected final long seed = Seeds.seed();

  /** Opens a layer named {@code tier} on a fresh, empty medium. */
  protected abstract MemoryLayer newLayer(String tier, long capacityBytes);

  /** Opens again, over the same medium, the layer last opened as {@code tier} (now closed). */
  protected abstract MemoryLayer reopen(String tier, long capacityBytes);

  /**
   * Changes one byte of the stored payload of {@code id} on the medium of the closed layer {@code
   * tier}, as a torn write or bit rot would.
   */
  protected abstract void damagePayload(String tier, ArtifactId id);

  @AfterEach
  final void closeAll() {
    opened.forEach(MemoryLayer::close);
    opened.clear();
  }

  private MemoryLayer track(MemoryLayer layer) {
    opened.add(layer);
    return layer;
  }

  protected final MemoryLayer open(String tier, long capacity) {
    return track(newLayer(tier, capacity));
  }

  protected final MemoryLayer again(String tier, long capacity) {
    return track(reopen(tier, capacity));
  }

  static byte[] bytes(long seed, int size) {
    byte[] b = new byte[size];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  static ArtifactMeta meta(long seed, int size) {
    return ArtifactMeta.builder(ArtifactType.KV_BLOCKS)
        .hint(ArtifactMeta.HINT_PROMOTE, "false")
        .attribute("seed", Long.toString(seed))
        .attribute("size", Integer.toString(size))
        .build();
  }

  static void put(MemoryLayer layer, ArtifactId id, long seed, int size) {
    layer.put(id, meta(seed, size), java.lang.foreign.MemorySegment.ofArray(bytes(seed, size)));
  }

  /** Fails unless {@code layer} serves {@code id} with the meta and bytes of {@code seed, size}. */
  static void assertServes(MemoryLayer layer, ArtifactId id, long seed, int size) {
    try (Lease lease = layer.get(id)) {
      assertNotNull(lease, id + " is missing");
      assertEquals(meta(seed, size), lease.meta(), "meta of " + id);
      assertEquals(size, lease.size(), "size of " + id);
      assertEquals(-1, java.lang.foreign.MemorySegment.ofArray(bytes(seed, size)).mismatch(lease.segment()),
          "bytes of " + id);
    }
  }

  @Test
  void reopen_findsEveryArtifact_withMetaBytesAndAccounting() {
    MemoryLayer layer = open("cold", CAPACITY);
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

    MemoryLayer reopened = again("cold", CAPACITY);
    assertEquals(expected.keySet(), Set.copyOf(reopened.ids()));
    LayerStats after = reopened.stats();
    assertEquals(before.artifacts(), after.artifacts());
    assertEquals(before.usedBytes(), after.usedBytes());
    assertEquals(0, after.corrupt());
    expected.forEach((id, sv) -> assertServes(reopened, id, sv[0], (int) sv[1]));
  }

  @Test
  void reopen_recoversTenThousandArtifacts() {
    MemoryLayer layer = open("many", 64L << 20);
    for (int i = 0; i < 10_000; i++) {
      put(layer, ArtifactId.of("n", Integer.toString(i)), seed + i, 200 + i % 800);
    }
    layer.close();
    MemoryLayer reopened = again("many", 64L << 20);
    assertEquals(10_000, reopened.stats().artifacts());
    Set<ArtifactId> ids = new HashSet<>(reopened.ids());
    assertEquals(10_000, ids.size());
    for (int i = 0; i < 10_000; i++) {
      assertServes(reopened, ArtifactId.of("n", Integer.toString(i)), seed + i, 200 + i % 800);
    }
  }

  @Test
  void reopenedLayer_stillEvictsWithinCapacity_andSparesPins() {
    long capacity = 1 << 20;
    int size = 240_000;
    MemoryLayer layer = open("full", capacity);
    for (int i = 0; i < 4; i++) {
      put(layer, ArtifactId.of("f" + i), seed + i, size);
    }
    assertEquals(4, layer.stats().artifacts());
    layer.close();

    MemoryLayer reopened = again("full", capacity);
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
  }

  @Test
  void damagedPayload_isNeverServed_andIsCounted() {
    MemoryLayer layer = open("rot", CAPACITY);
    for (int i = 0; i < 5; i++) {
      put(layer, ArtifactId.of("r" + i), seed + i, 50_000);
    }
    layer.close();
    damagePayload("rot", ArtifactId.of("r2"));

    MemoryLayer reopened = again("rot", CAPACITY);
    assertNull(reopened.get(ArtifactId.of("r2")), "a damaged record was served");
    assertFalse(reopened.contains(ArtifactId.of("r2")));
    assertEquals(1, reopened.stats().corrupt());
    for (int i = 0; i < 5; i++) {
      if (i != 2) {
        assertServes(reopened, ArtifactId.of("r" + i), seed + i, 50_000);
      }
    }
    reopened.close();
    MemoryLayer third = again("rot", CAPACITY);
    assertEquals(4, third.stats().artifacts(), "the damaged record stays gone");
    assertEquals(0, third.stats().corrupt());
  }

  @Test
  void uncommittedReservation_isAbsentAfterReopen() {
    MemoryLayer layer = open("res", CAPACITY);
    put(layer, ArtifactId.of("kept"), seed, 1000);
    Reservation r = layer.reserve(ArtifactId.of("half"), meta(seed, 4096), 4096);
    java.lang.foreign.MemorySegment.copy(java.lang.foreign.MemorySegment.ofArray(bytes(seed, 4096)), 0, r.segment(), 0, 4096);
    r.close();
    layer.close();
    MemoryLayer reopened = again("res", CAPACITY);
    assertEquals(List.of(ArtifactId.of("kept")), reopened.ids());
    assertServes(reopened, ArtifactId.of("kept"), seed, 1000);
  }

  @Test
  void leaseOpenAcrossClose_staysReadable_andReopenFindsTheArtifact() {
    MemoryLayer layer = open("lease", CAPACITY);
    put(layer, ArtifactId.of("l"), seed, 70_000);
    Lease lease = layer.get(ArtifactId.of("l"));
    layer.close();
    assertEquals(-1, java.lang.foreign.MemorySegment.ofArray(bytes(seed, 70_000)).mismatch(lease.segment()));
    lease.close();
    MemoryLayer reopened = again("lease", CAPACITY);
    assertServes(reopened, ArtifactId.of("l"), seed, 70_000);
  }

  @Test
  void reopenTwice_changesNothing_andAnEmptyLayerStaysEmpty() {
    MemoryLayer empty = open("empty", CAPACITY);
    empty.close();
    MemoryLayer stillEmpty = again("empty", CAPACITY);
    assertEquals(new LayerStats("empty", CAPACITY, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), stillEmpty.stats());

    MemoryLayer layer = open("twice", CAPACITY);
    put(layer, ArtifactId.of("t"), seed, 12_345);
    layer.close();
    again("twice", CAPACITY).close();
    MemoryLayer third = again("twice", CAPACITY);
    assertEquals(List.of(ArtifactId.of("t")), third.ids());
    assertServes(third, ArtifactId.of("t"), seed, 12_345);
  }
}
