package io.stratacache.testkit;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LeaseClosedException;
import io.stratacache.spi.BatchAccess;
import io.stratacache.spi.Capability;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Contract {@code get}: a miss is {@code null}; a lease is read-only, may be closed on any thread,
 * refuses every accessor once closed, and keeps its bytes through delete and eviction pressure.
 */
@Contract("get")
public abstract class AbstractGetTest extends AbstractLayerTest {
  @Test
  public void get_ofAbsentId_returnsNull() {
    MemoryLayer layer = open("hot", CAPACITY);
    assertNull(layer.get(ArtifactId.of("absent")));
    assertFalse(layer.contains(ArtifactId.of("absent")));
  }

  @Test
  public void lease_afterClose_throwsLeaseClosedExceptionFromEveryAccessor() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("l");
    layer.put(id, ArtifactMeta.custom(), payload(777, seed));
    Lease lease = layer.get(id);
    assertEquals(1, layer.stats().openLeases());
    lease.close();

    assertFalse(lease.isOpen());
    assertThrows(LeaseClosedException.class, lease::meta, "meta()");
    assertThrows(LeaseClosedException.class, lease::segment, "segment()");
    MemorySegment dst = arena.allocate(777);
    assertThrows(LeaseClosedException.class, () -> lease.copyTo(dst), "copyTo()");
    assertEquals(id, lease.id());
    assertEquals("hot", lease.tier());
    assertEquals(777, lease.size());
    lease.close();
    assertEquals(0, layer.stats().openLeases(), "a second close counted twice");
  }

  /**
   * A segment kept past its lease's close raises on access instead of reading whatever reuses the
   * memory, once the artifact is deleted and its space refilled.
   */
  @Test
  @NotFor(Capability.DEVICE_MEMORY)
  public void lease_segmentKeptPastClose_raisesInsteadOfReadingReusedMemory() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = putThird(layer, "a", 1);
    Lease lease = layer.get(a);
    MemorySegment kept = lease.segment();
    lease.close();
    assertTrue(layer.delete(a));
    putThird(layer, "b", 2);
    putThird(layer, "c", 3);
    putThird(layer, "d", 4);

    assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0), "read after close");
    MemorySegment dst = arena.allocate(THIRD);
    assertThrows(IllegalStateException.class, () -> MemorySegment.copy(kept, 0, dst, 0, THIRD), "copy after close");
  }

  /**
   * Leases taken together may share the arena their views live in, so a segment kept past its
   * own lease's close may read on while another lease of the batch is open: then it reads its own
   * artifact's bytes, never another's, even under pressure; once every lease is closed and the
   * artifact gone, it raises.
   */
  @Test
  @NotFor(Capability.DEVICE_MEMORY)
  public void leasesTakenTogether_keptSegmentReadsItsOwnBytesOrRaises_neverReusedMemory() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = putThird(layer, "a", 1);
    ArtifactId b = putThird(layer, "b", 2);
    Map<ArtifactId, Lease> leases = BatchAccess.getAll(layer, List.of(a, b));
    MemorySegment keptA = leases.get(a).segment();
    leases.get(a).close();
    assertTrue(layer.delete(a));
    putThird(layer, "c", 3);
    putThird(layer, "d", 4);

    try {
      assertPayload(keptA, THIRD, seed + 1, a);
    } catch (IllegalStateException raised) {
      // also allowed: the view was already invalidated
    }
    try (Lease bLease = leases.get(b)) {
      assertPayload(bytes(bLease), THIRD, seed + 2, b);
    }
    putThird(layer, "e", 5);
    putThird(layer, "f", 6);
    assertThrows(IllegalStateException.class, () -> keptA.get(ValueLayout.JAVA_BYTE, 0), "read after every close");
  }

  @Test
  @NotFor(Capability.DEVICE_MEMORY)
  public void lease_segmentIsReadOnly() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("ro");
    layer.put(id, ArtifactMeta.custom(), payload(64, seed));
    try (Lease lease = layer.get(id)) {
      assertTrue(lease.segment().isReadOnly());
      assertThrows(IllegalArgumentException.class, () -> lease.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
      assertPayload(bytes(lease), 64, seed, id);
    }
  }

  @Test
  public void lease_copyTo_copiesThePayload() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("c");
    layer.put(id, ArtifactMeta.custom(), payload(65_537, seed));
    MemorySegment dst = arena.allocate(70_000);
    try (Lease lease = layer.get(id)) {
      lease.copyTo(dst);
    }
    assertPayload(dst.asSlice(0, 65_537), 65_537, seed, id);
  }

  @Test
  public void lease_mayBeClosedOnAnotherThread() throws Exception {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("t");
    layer.put(id, ArtifactMeta.custom(), payload(4096, seed));
    Lease lease = layer.get(id);
    CompletableFuture.runAsync(() -> {
      assertPayload(bytes(lease), 4096, seed, id);
      lease.close();
    }).get(30, SECONDS);
    assertFalse(lease.isOpen());
    assertEquals(0, layer.stats().openLeases());
  }

  @Test
  public void delete_ofALeasedArtifact_keepsTheLeaseValidUntilClosed() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("d");
    layer.put(id, ArtifactMeta.custom(), payload(THIRD, seed));
    try (Lease lease = layer.get(id)) {
      assertTrue(layer.delete(id));
      assertFalse(layer.contains(id));
      assertNull(layer.get(id));
      for (int i = 0; i < 8; i++) {
        layer.put(ArtifactId.of("f" + i), ArtifactMeta.custom(), payload(THIRD / 2, seed + 1 + i));
      }
      assertPayload(bytes(lease), THIRD, seed, id);
    }
    BatchAccess.deleteAll(layer, layer.ids());
    assertEquals(0, layer.stats().usedBytes(), "space of the deleted, leased artifact was not given back");
  }

  @Test
  @NotFor(Capability.SELF_EVICTING)
  public void leasedArtifacts_surviveEvictionPressure() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = putThird(layer, "leased", 0);
    try (Lease lease = layer.get(a)) {
      for (int i = 0; i < 20; i++) {
        putThird(layer, "f" + i, 1 + i);
      }
      assertTrue(layer.contains(a), "leased artifact was evicted");
      assertPayload(bytes(lease), THIRD, seed, a);
      assertEquals(18, layer.stats().evictions(), "each put after the second evicts one artifact");
    }
  }
}
