package io.stratacache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.BatchAccess;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Contract {@code put}: what is stored is loaded back byte for byte with its meta, whatever the id,
 * size or source segment; a replace publishes atomically while open leases keep the old bytes; a
 * reservation is invisible until committed; delete, {@code ids()}, batches and counters agree.
 */
@Contract("put")
public abstract class AbstractPutTest extends AbstractLayerTest {
  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(longs = {0, 1, 7, 63, 64, 65, 4095, 4096, 4097, 100_003, (1 << 20) + 3})
  public void put_thenGet_returnsSameBytesAndMeta(long size) {
    MemoryLayer layer = open("hot", 4L << 20);
    ArtifactId id = ArtifactId.of("kv", "m", "size" + size);
    ArtifactMeta meta = meta(seed, size);
    layer.put(id, meta, payload(size, seed));

    assertTrue(layer.contains(id));
    try (Lease lease = layer.get(id)) {
      assertNotNull(lease, "get after put");
      assertEquals(id, lease.id());
      assertEquals("hot", lease.tier());
      assertEquals(size, lease.size());
      assertEquals(size, lease.segment().byteSize());
      assertEquals(meta, lease.meta());
      assertPayload(bytes(lease), size, seed, id);
      assertTrue(lease.isOpen());
    }
  }

  @Test
  public void put_copiesThePayload_soTheCallerMayReuseItsSegment() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("a");
    MemorySegment src = payload(10_000, seed);
    layer.put(id, ArtifactMeta.custom(), src);
    fill(src, seed + 1);

    try (Lease lease = layer.get(id)) {
      assertPayload(bytes(lease), 10_000, seed, id);
    }
  }

  @Test
  public void put_acceptsAHeapSegment() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("heap");
    MemorySegment heap = MemorySegment.ofArray(new byte[5_001]);
    fill(heap, seed);
    layer.put(id, ArtifactMeta.custom(), heap);

    try (Lease lease = layer.get(id)) {
      assertPayload(bytes(lease), 5_001, seed, id);
    }
  }

  @Test
  public void meta_roundTripsExactly_forEveryTypeHintsAndAttributes() {
    MemoryLayer layer = open("hot", CAPACITY);
    for (ArtifactType type : ArtifactType.values()) {
      ArtifactMeta meta = ArtifactMeta.builder(type)
          .hint(ArtifactMeta.HINT_PROMOTE, "false")
          .hint("z-last", "1")
          .attribute("tensor_dtype", "bfloat16")
          .attribute("tensor_shape", "[32,8,256,128]")
          .attribute("unicode", "Grüße, 世界 \uD83D\uDE80")
          .attribute("empty", "")
          .attribute("a-after-empty", "quote \" and backslash \\")
          .build();
      ArtifactId id = ArtifactId.of("meta", type.name());
      layer.put(id, meta, payload(3, seed));
      try (Lease lease = layer.get(id)) {
        assertEquals(meta, lease.meta());
        assertEquals(List.copyOf(meta.hints().keySet()), List.copyOf(lease.meta().hints().keySet()), "hint order");
        assertEquals(
            List.copyOf(meta.attributes().keySet()), List.copyOf(lease.meta().attributes().keySet()), "attribute order");
      }
    }
  }

  @Test
  public void ids_ofEveryShape_roundTrip() {
    MemoryLayer layer = open("hot", CAPACITY);
    List<ArtifactId> ids = List.of(
        ArtifactId.of("x"),
        ArtifactId.of("kv", "llama3-8b", "tp2", "c0ffee"),
        ArtifactId.of("unicode", "Grüße", "世界", "\uD83D\uDE80"),
        ArtifactId.of("spaces and dots", "..", ".", "a b"),
        ArtifactId.of("Case"),
        ArtifactId.of("case"),
        ArtifactId.of("x".repeat(ArtifactId.MAX_UTF8_BYTES)));
    for (int i = 0; i < ids.size(); i++) {
      layer.put(ids.get(i), meta(seed + i, 100 + i), payload(100 + i, seed + i));
    }
    assertEquals(Set.copyOf(ids), Set.copyOf(layer.ids()));
    for (int i = 0; i < ids.size(); i++) {
      try (Lease lease = layer.get(ids.get(i))) {
        assertNotNull(lease, ids.get(i).value());
        assertEquals(ids.get(i), lease.id());
        assertPayload(bytes(lease), 100 + i, seed + i, ids.get(i));
      }
    }
  }

  @Test
  public void delete_removesTheArtifact_andReportsWhetherItWasThere() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    ArtifactId b = ArtifactId.of("b");
    layer.put(a, ArtifactMeta.custom(), payload(1000, seed));
    layer.put(b, ArtifactMeta.custom(), payload(1000, seed + 1));

    assertTrue(layer.delete(a));
    assertFalse(layer.contains(a));
    assertNull(layer.get(a));
    assertFalse(layer.delete(a), "second delete");
    assertTrue(layer.contains(b), "delete touched another artifact");
    assertEquals(List.of(b), layer.ids());
  }

  @Test
  public void ids_isASnapshot() {
    MemoryLayer layer = open("hot", CAPACITY);
    Set<ArtifactId> expected = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      ArtifactId id = ArtifactId.of("id" + i);
      layer.put(id, ArtifactMeta.custom(), payload(i * 10, seed));
      expected.add(id);
    }
    List<ArtifactId> snapshot = layer.ids();
    layer.delete(ArtifactId.of("id3"));
    layer.put(ArtifactId.of("late"), ArtifactMeta.custom(), payload(1, seed));

    assertEquals(20, snapshot.size(), "snapshot changed after the layer did");
    assertEquals(expected, Set.copyOf(snapshot));
    expected.remove(ArtifactId.of("id3"));
    expected.add(ArtifactId.of("late"));
    assertEquals(expected, Set.copyOf(layer.ids()));
  }

  @Test
  public void replace_publishesNewBytesAndMeta_whileAnOpenLeaseKeepsTheOld() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("r");
    ArtifactMeta oldMeta = meta(seed, 200_000);
    ArtifactMeta newMeta = meta(seed + 1, 100_001);
    layer.put(id, oldMeta, payload(200_000, seed));

    try (Lease old = layer.get(id)) {
      layer.put(id, newMeta, payload(100_001, seed + 1));
      try (Lease fresh = layer.get(id)) {
        assertEquals(newMeta, fresh.meta());
        assertEquals(100_001, fresh.size());
        assertPayload(bytes(fresh), 100_001, seed + 1, id);
      }
      assertEquals(List.of(id), layer.ids(), "one artifact per id");
      // Pressure: the old bytes must not be reused while leased.
      for (int i = 0; i < 12; i++) {
        layer.put(ArtifactId.of("filler" + i), ArtifactMeta.custom(), payload(150_000, seed + 100 + i));
      }
      assertTrue(old.isOpen());
      assertEquals(oldMeta, old.meta());
      assertEquals(200_000, old.size());
      assertPayload(bytes(old), 200_000, seed, id);
    }
  }

  @Test
  public void reserve_isInvisibleUntilCommitted_thenPublishes() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("res");
    ArtifactMeta meta = meta(seed, 12_345);
    Reservation r = layer.reserve(id, meta, 12_345);
    assertEquals(id, r.id());
    assertEquals(12_345, r.segment().byteSize());
    assertFalse(r.segment().isReadOnly());
    fill(r.segment(), seed);
    assertFalse(layer.contains(id), "visible before commit");
    assertNull(layer.get(id));

    r.commit();
    assertThrows(IllegalStateException.class, r::segment, "segment() after commit");
    assertThrows(IllegalStateException.class, r::commit, "second commit");
    r.close();
    try (Lease lease = layer.get(id)) {
      assertEquals(meta, lease.meta());
      assertPayload(bytes(lease), 12_345, seed, id);
    }
    assertEquals(1, layer.stats().puts());
  }

  @Test
  public void reserve_closedWithoutCommit_discardsTheSpace() {
    MemoryLayer layer = open("hot", CAPACITY);
    layer.put(ArtifactId.of("a"), ArtifactMeta.custom(), payload(1000, seed));
    long used = layer.stats().usedBytes();
    try (Reservation r = layer.reserve(ArtifactId.of("res"), ArtifactMeta.custom(), THIRD)) {
      fill(r.segment(), seed);
    }
    assertFalse(layer.contains(ArtifactId.of("res")));
    assertEquals(used, layer.stats().usedBytes());
    assertEquals(1, layer.stats().puts());
    assertThrows(
        IllegalStateException.class,
        () -> {
          Reservation r = layer.reserve(ArtifactId.of("res2"), ArtifactMeta.custom(), 10);
          r.close();
          r.commit();
        },
        "commit after close");
    assertFalse(layer.contains(ArtifactId.of("res2")));
  }

  @Test
  public void reserve_ofAStoredId_replacesItOnlyOnCommit() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("x");
    layer.put(id, meta(seed, 5000), payload(5000, seed));
    Reservation r = layer.reserve(id, meta(seed + 1, 7000), 7000);
    fill(r.segment(), seed + 1);
    try (Lease before = layer.get(id)) {
      assertPayload(bytes(before), 5000, seed, id);
      r.commit();
      assertPayload(bytes(before), 5000, seed, id);
    }
    try (Lease after = layer.get(id)) {
      assertEquals(meta(seed + 1, 7000), after.meta());
      assertPayload(bytes(after), 7000, seed + 1, id);
    }
  }

  @Test
  public void reserve_ofZeroBytes_commitsAnEmptyArtifact() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("empty");
    try (Reservation r = layer.reserve(id, ArtifactMeta.custom(), 0)) {
      assertEquals(0, r.segment().byteSize());
      r.commit();
    }
    try (Lease lease = layer.get(id)) {
      assertEquals(0, lease.size());
    }
  }

  @Test
  public void batches_putGetContainAndDeleteSeveral_inTheGivenOrder() {
    MemoryLayer layer = open("hot", CAPACITY);
    Map<ArtifactId, Map.Entry<ArtifactMeta, MemorySegment>> batch = new LinkedHashMap<>();
    for (int i = 0; i < 5; i++) {
      batch.put(ArtifactId.of("b" + i), Map.entry(meta(seed + i, 1000 + i), payload(1000 + i, seed + i)));
    }
    batch.forEach((id, e) -> layer.put(id, e.getKey(), e.getValue()));
    assertEquals(5, layer.stats().puts());

    List<ArtifactId> wanted = List.of(
        ArtifactId.of("b3"), ArtifactId.of("missing"), ArtifactId.of("b0"), ArtifactId.of("b4"));
    Map<ArtifactId, Lease> leases = BatchAccess.getAll(layer, wanted);
    try {
      assertEquals(List.of(ArtifactId.of("b3"), ArtifactId.of("b0"), ArtifactId.of("b4")), List.copyOf(leases.keySet()));
      for (Map.Entry<ArtifactId, Lease> e : leases.entrySet()) {
        int i = Integer.parseInt(e.getKey().value().substring(1));
        assertEquals(meta(seed + i, 1000 + i), e.getValue().meta());
        assertPayload(bytes(e.getValue()), 1000 + i, seed + i, e.getKey());
      }
      assertEquals(3, layer.stats().openLeases());
      assertEquals(3, layer.stats().hits());
      assertEquals(1, layer.stats().misses());
    } finally {
      leases.values().forEach(Lease::close);
    }

    assertEquals(List.of(true, false, true, true), BatchAccess.containsAll(layer, wanted));
    assertEquals(3, BatchAccess.deleteAll(layer, wanted));
    assertEquals(Set.of(ArtifactId.of("b1"), ArtifactId.of("b2")), Set.copyOf(layer.ids()));
  }

  @Test
  public void stats_countEveryOperation_andReturnToZero() {
    MemoryLayer layer = open("hot", CAPACITY);
    LayerStats fresh = layer.stats();
    assertEquals(new LayerStats("hot", CAPACITY, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), fresh);
    assertEquals(CAPACITY, layer.stats().capacityBytes());
    assertEquals("hot", layer.name());

    ArtifactId a = ArtifactId.of("a");
    ArtifactId b = ArtifactId.of("b");
    layer.put(a, ArtifactMeta.custom(), payload(1000, seed));
    layer.put(b, ArtifactMeta.custom(), payload(2000, seed));
    layer.put(b, ArtifactMeta.custom(), payload(3000, seed));
    LayerStats s = layer.stats();
    assertEquals(3, s.puts());
    assertEquals(2, s.artifacts());
    assertTrue(s.usedBytes() >= 4000 && s.usedBytes() <= CAPACITY, "usedBytes " + s.usedBytes());

    layer.contains(a);
    layer.get(a).close();
    Lease open = layer.get(b);
    assertNull(layer.get(ArtifactId.of("nope")));
    layer.pin(a);
    layer.pin(a);
    s = layer.stats();
    assertEquals(2, s.hits());
    assertEquals(1, s.misses());
    assertEquals(1, s.openLeases());
    assertEquals(1, s.pinned(), "pinned counts artifacts, not pins");
    open.close();

    layer.delete(a);
    layer.delete(b);
    s = layer.stats();
    assertEquals(0, s.usedBytes());
    assertEquals(0, s.artifacts());
    assertEquals(0, s.openLeases());
    assertEquals(0, s.pinned());
    assertEquals(0, s.evictions());
    assertEquals(0, s.rejected());
    assertEquals(0, s.corrupt());
  }

  @Test
  public void layersOfOneProvider_underDifferentNames_areIndependent() {
    MemoryLayer hot = open("hot", CAPACITY);
    MemoryLayer warm = open("warm", 2 * CAPACITY);
    ArtifactId id = ArtifactId.of("shared-id");
    hot.put(id, meta(seed, 10), payload(10, seed));
    warm.put(id, meta(seed + 1, 20), payload(20, seed + 1));

    try (Lease h = hot.get(id); Lease w = warm.get(id)) {
      assertEquals("hot", h.tier());
      assertEquals("warm", w.tier());
      assertPayload(bytes(h), 10, seed, id);
      assertPayload(bytes(w), 20, seed + 1, id);
    }
    assertTrue(hot.delete(id));
    assertTrue(warm.contains(id));
    assertEquals("warm", warm.stats().tier());
    assertEquals(2 * CAPACITY, warm.stats().capacityBytes());
  }
}
