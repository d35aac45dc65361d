package io.stratacache.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CapacityException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The make-room protocol over a small byte-counting index (a layer without a medium). */
class RoomMakerTest {
  /** One stored version. */
  static final class Entry {
    final ArtifactId id;
    final long size;
    int leases;

    Entry(ArtifactId id, long size) {
      this.id = id;
      this.size = size;
    }
  }

  /** Ids in insertion order (FIFO), bytes counted against a capacity. */
  static final class Bytes implements RoomMaker.Index<Entry> {
    final ReentrantLock lock = new ReentrantLock();
    final LinkedHashMap<ArtifactId, Entry> map = new LinkedHashMap<>();
    final long capacity;
    final boolean reuses;
    long used;
    final RoomMaker<Entry> room;
    volatile EvictionListener listener = EvictionListener.DROP;

    Bytes(long capacity, boolean reuses) {
      this.capacity = capacity;
      this.reuses = reuses;
      this.room = new RoomMaker<>(lock, this);
    }

    @Override
    public ArtifactId id(Entry e) {
      return e.id;
    }

    @Override
    public Entry current(ArtifactId id) {
      return map.get(id);
    }

    @Override
    public Iterator<Entry> candidates() {
      return List.copyOf(map.values()).iterator();
    }

    @Override
    public boolean leased(Entry e) {
      return e.leases > 0;
    }

    @Override
    public boolean offer(Entry victim, EvictionListener l) {
      return l.beforeEvict("t", victim.id, io.stratacache.core.ArtifactMeta.custom(), MemorySegment.NULL);
    }

    @Override
    public boolean remove(Entry victim) {
      lock.lock();
      try {
        if (!room.removableLocked(victim)) {
          return false;
        }
        map.remove(victim.id);
        used -= victim.size;
        return true;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public boolean replacementReusesSpace() {
      return reuses;
    }

    /** Makes room for and publishes {@code size} bytes under {@code name}. */
    void put(String name, long size) {
      ArtifactId id = ArtifactId.of(name);
      long[] credit = {0};
      room.makeRoom(id, new RoomMaker.Space<>() {
        @Override
        public boolean tryTake() {
          Entry old = map.get(id);
          credit[0] = reuses && old != null ? old.size : 0;
          if (used + size - credit[0] > capacity) {
            return false;
          }
          used += size;
          return true;
        }

        @Override
        public boolean fitsAfterEvicting(Predicate<Entry> reclaimable) {
          long stays = 0;
          for (Entry e : map.values()) {
            if (!reclaimable.test(e) && !(reuses && e.id.equals(id))) {
              stays += e.size;
            }
          }
          return stays + size <= capacity;
        }

        @Override
        public CapacityException noRoom(int kept, boolean evictedNothing) {
          return new CapacityException("no room for " + id + " (kept " + kept + ", evicted nothing " + evictedNothing + ")");
        }
      });
      lock.lock();
      try {
        Entry old = map.remove(id);
        if (old != null) {
          used -= old.size;
        }
        map.put(id, new Entry(id, size));
      } finally {
        lock.unlock();
      }
    }

    List<String> ids() {
      lock.lock();
      try {
        return map.keySet().stream().map(ArtifactId::value).toList();
      } finally {
        lock.unlock();
      }
    }
  }

  @Test
  void makeRoom_evictsInCandidateOrder_skippingPinnedAndLeased() {
    Bytes layer = new Bytes(300, false);
    layer.put("a", 100);
    layer.put("b", 100);
    layer.put("c", 100);
    assertTrue(layer.room.pin(ArtifactId.of("a")));
    layer.map.get(ArtifactId.of("b")).leases = 1;
    List<ArtifactId> asked = new ArrayList<>();
    layer.room.setListener((t, id, m, p) -> asked.add(id));

    layer.put("d", 100);

    assertEquals(List.of(ArtifactId.of("c")), asked);
    assertEquals(List.of("a", "b", "d"), layer.ids());
    assertEquals(1, layer.room.evictions());
  }

  @Test
  void makeRoom_thatCannotFit_isRefusedBeforeEvictingAnything() {
    Bytes layer = new Bytes(300, false);
    layer.put("a", 100);
    layer.put("b", 100);
    layer.put("c", 100);
    layer.room.pin(ArtifactId.of("a"));
    layer.room.pin(ArtifactId.of("b"));
    List<ArtifactId> asked = new ArrayList<>();
    layer.room.setListener((t, id, m, p) -> asked.add(id));

    CapacityException e = assertThrows(CapacityException.class, () -> layer.put("d", 200));

    assertTrue(e.getMessage().contains("evicted nothing true"), e.getMessage());
    assertEquals(List.of(), asked);
    assertEquals(List.of("a", "b", "c"), layer.ids());
    assertEquals(1, layer.room.rejected());
  }

  @Test
  void listenerRefusal_passesOverTheVictim_andAThrowingListenerKeepsItsVictim() {
    Bytes layer = new Bytes(200, false);
    layer.put("a", 100);
    layer.put("b", 100);
    layer.room.setListener((t, id, m, p) -> !id.value().equals("a"));
    layer.put("c", 100);
    assertEquals(List.of("a", "c"), layer.ids());

    layer.room.setListener((t, id, m, p) -> {
      throw new IllegalStateException("listener failed on " + id);
    });
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> layer.put("d", 100));
    assertEquals("listener failed on a", e.getMessage());
    assertEquals(List.of("a", "c"), layer.ids());

    layer.room.setListener((t, id, m, p) -> false);
    CapacityException refused = assertThrows(CapacityException.class, () -> layer.put("d", 100));
    assertTrue(refused.getMessage().contains("kept 2"), refused.getMessage());
  }

  @Test
  void replacedVersion_isNeverOffered_andGoesOnlyAsTheLastResort() {
    Bytes layer = new Bytes(200, false);
    layer.put("a", 100);
    layer.put("b", 100);
    List<ArtifactId> asked = new ArrayList<>();
    layer.room.setListener((t, id, m, p) -> asked.add(id));

    layer.put("a", 100);
    assertEquals(List.of(ArtifactId.of("b")), asked, "another artifact goes first");

    layer.put("c", 100);
    layer.room.pin(ArtifactId.of("c"));
    asked.clear();
    layer.put("a", 100);
    assertEquals(List.of(), asked, "the replaced version goes without the listener");
    assertEquals(List.of("c", "a"), layer.ids());
    assertEquals(1, layer.room.evictions(), "a replace is not an eviction");
  }

  @Test
  void replacedVersion_ofAPinnedId_staysWhenNothingElseCanGo() {
    Bytes layer = new Bytes(200, false);
    layer.put("a", 100);
    layer.put("b", 100);
    layer.room.pin(ArtifactId.of("a"));
    layer.room.pin(ArtifactId.of("b"));
    assertThrows(CapacityException.class, () -> layer.put("a", 100));
    assertEquals(List.of("a", "b"), layer.ids());
  }

  @Test
  void aLayerThatReusesTheReplacedSpace_neverRemovesItEarly() {
    Bytes layer = new Bytes(200, true);
    layer.put("a", 100);
    layer.put("b", 100);
    layer.room.pin(ArtifactId.of("b"));
    List<ArtifactId> asked = new ArrayList<>();
    layer.room.setListener((t, id, m, p) -> asked.add(id));

    layer.put("a", 100);
    assertEquals(List.of(), asked);
    assertThrows(CapacityException.class, () -> layer.put("a", 150));
    assertEquals(List.of("b", "a"), layer.ids(), "the refused replace lost nothing");
  }

  @Test
  void pins_nestAndBelongToTheId() {
    Bytes layer = new Bytes(200, false);
    ArtifactId a = ArtifactId.of("a");
    assertFalse(layer.room.pin(a), "absent");
    layer.put("a", 100);
    assertTrue(layer.room.pin(a));
    assertTrue(layer.room.pin(a));
    layer.put("a", 50);
    assertTrue(layer.room.unpin(a));
    assertTrue(layer.room.unpin(a));
    assertFalse(layer.room.unpin(a));
    layer.room.pin(a);
    layer.lock.lock();
    try {
      layer.room.unpinAllLocked(a);
      assertEquals(0, layer.room.pinnedLocked());
    } finally {
      layer.lock.unlock();
    }
  }

  @Test
  @Timeout(30)
  void aStoreThatFindsOnlyVictimsBeingEvicted_waitsForThem() throws Exception {
    Bytes layer = new Bytes(100, false);
    layer.put("a", 100);
    CountDownLatch offered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    layer.room.setListener((t, id, m, p) -> {
      offered.countDown();
      try {
        assertTrue(release.await(20, TimeUnit.SECONDS));
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      return true;
    });
    CompletableFuture<Void> first = CompletableFuture.runAsync(() -> layer.put("b", 50));
    assertTrue(offered.await(20, TimeUnit.SECONDS));
    CompletableFuture<Void> second = CompletableFuture.runAsync(() -> layer.put("c", 50));
    Thread.sleep(50);
    assertFalse(second.isDone(), "the second store waits for the eviction in progress instead of failing");
    release.countDown();
    first.get(20, TimeUnit.SECONDS);
    second.get(20, TimeUnit.SECONDS);
    assertEquals(List.of("b", "c"), layer.ids().stream().sorted().toList());
    assertEquals(100, layer.used);
  }
}
