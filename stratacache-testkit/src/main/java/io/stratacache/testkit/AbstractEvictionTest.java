package io.stratacache.testkit;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.spi.Capability;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Contract {@code eviction}: victims follow the eviction policy; the listener is asked before a
 * victim's space is reused, without the layer's lock held, while the victim stays loadable; a
 * listener that refuses or throws keeps the artifact. Not for {@code SELF_EVICTING} layers, whose
 * medium evicts without asking.
 */
@Contract(value = "eviction", excludes = Capability.SELF_EVICTING)
public abstract class AbstractEvictionTest extends AbstractLayerTest {
  @Test
  public void eviction_followsLeastRecentlyUsedOrder_byDefault() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    ArtifactId b = ArtifactId.of("b");
    ArtifactId c = ArtifactId.of("c");
    putThird(layer, "a", 0);
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    layer.get(a).close();

    putThird(layer, "d", 3);
    assertEquals(Set.of(a, c, ArtifactId.of("d")), Set.copyOf(layer.ids()), "b was the least recently used");
    assertEquals(1, layer.stats().evictions());

    putThird(layer, "e", 4);
    assertEquals(Set.of(a, ArtifactId.of("d"), ArtifactId.of("e")), Set.copyOf(layer.ids()), "then c");
    assertEquals(2, layer.stats().evictions());
  }

  @Test
  public void eviction_followsInsertionOrder_underFifo() {
    MemoryLayer layer = open("hot", CAPACITY, "fifo");
    ArtifactId a = ArtifactId.of("a");
    ArtifactId b = ArtifactId.of("b");
    ArtifactId c = ArtifactId.of("c");
    putThird(layer, "a", 0);
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    layer.get(a).close();

    putThird(layer, "d", 3);
    assertEquals(Set.of(b, c, ArtifactId.of("d")), Set.copyOf(layer.ids()), "a was stored first");
  }

  @Test
  public void eviction_underS3Fifo_keepsALoadedArtifact_throughAScanOfArtifactsStoredOnce() {
    MemoryLayer layer = open("hot", CAPACITY, "s3fifo");
    ArtifactId a = ArtifactId.of("a");
    putThird(layer, "a", 0);
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    layer.get(a).close();

    putThird(layer, "d", 3);
    putThird(layer, "e", 4);
    putThird(layer, "f", 5); // under lru, a would be the victim now
    assertEquals(Set.of(a, ArtifactId.of("e"), ArtifactId.of("f")), Set.copyOf(layer.ids()),
        "a, loaded since it was stored, outlives b, c and d, stored once");
    assertEquals(3, layer.stats().evictions());
  }

  @Test
  public void evictionListener_isAskedBeforeReuse_withTheVictimsBytes_whileItStaysLoadable() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    ArtifactMeta aMeta = meta(seed, THIRD);
    layer.put(a, aMeta, payload(THIRD, seed));
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    List<ArtifactId> asked = new ArrayList<>();
    layer.setEvictionListener((tier, id, meta, bytes) -> {
      asked.add(id);
      assertEquals("hot", tier);
      assertEquals(a, id);
      assertEquals(aMeta, meta);
      assertPayload(bytes, THIRD, seed, id);
      try (Lease during = layer.get(id)) {
        assertNotNull(during, "the victim must stay loadable while the listener runs");
        assertPayload(bytes(during), THIRD, seed, id);
      }
      // Other threads are not blocked by the eviction in progress.
      Boolean other = join(CompletableFuture.supplyAsync(() -> layer.contains(ArtifactId.of("b"))));
      assertTrue(other);
      return true;
    });

    putThird(layer, "d", 3);
    assertEquals(List.of(a), asked);
    assertFalse(layer.contains(a));
    try (Lease d = layer.get(ArtifactId.of("d"))) {
      assertPayload(bytes(d), THIRD, seed + 3, d.id());
    }
  }

  @Test
  @Timeout(value = 60, unit = SECONDS)
  public void evictionInProgress_doesNotBlockAPutOnAnotherThread() throws Exception {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    putThird(layer, "a", 0);
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    CountDownLatch inListener = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    layer.setEvictionListener((tier, id, meta, bytes) -> {
      if (id.equals(a)) {
        inListener.countDown();
        await(release);
      }
      return true;
    });
    MemorySegment d = payload(THIRD, seed + 3);
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      Future<?> slow = other.submit(() -> layer.put(ArtifactId.of("d"), ArtifactMeta.custom(), d));
      await(inListener);
      putThird(layer, "e", 4);
      assertTrue(layer.contains(ArtifactId.of("e")));
      assertTrue(layer.contains(a), "a is still loadable while its listener runs");
      assertFalse(slow.isDone());
      release.countDown();
      slow.get(30, SECONDS);
    } finally {
      release.countDown();
      other.shutdownNow();
    }
    assertEquals(
        Set.of(ArtifactId.of("c"), ArtifactId.of("d"), ArtifactId.of("e")), Set.copyOf(layer.ids()));
  }

  @Test
  public void evictionListener_returningFalse_keepsTheArtifact_andTheLayerTriesTheNextVictim() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    ArtifactId b = ArtifactId.of("b");
    putThird(layer, "a", 0);
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    List<ArtifactId> asked = new ArrayList<>();
    layer.setEvictionListener((tier, id, meta, bytes) -> {
      asked.add(id);
      return !id.equals(a);
    });

    putThird(layer, "d", 3);
    assertEquals(List.of(a, b), asked);
    assertTrue(layer.contains(a));
    assertFalse(layer.contains(b));
    try (Lease kept = layer.get(a)) {
      assertPayload(bytes(kept), THIRD, seed, a);
    }
    assertEquals(1, layer.stats().evictions());
  }

  @Test
  public void evictionListener_refusingEveryVictim_refusesThePut_andLosesNothing() {
    MemoryLayer layer = open("hot", CAPACITY);
    for (int i = 0; i < 3; i++) {
      putThird(layer, "k" + i, i);
    }
    AtomicInteger asked = new AtomicInteger();
    layer.setEvictionListener((tier, id, meta, bytes) -> {
      asked.incrementAndGet();
      return false;
    });
    long rejected = layer.stats().rejected();

    assertThrows(
        CapacityException.class, () -> layer.put(ArtifactId.of("new"), ArtifactMeta.custom(), payload(THIRD, seed)));
    assertEquals(3, asked.get(), "every victim is asked once per put");
    assertEquals(rejected + 1, layer.stats().rejected());
    assertFalse(layer.contains(ArtifactId.of("new")));
    for (int i = 0; i < 3; i++) {
      try (Lease lease = layer.get(ArtifactId.of("k" + i))) {
        assertPayload(bytes(lease), THIRD, seed + i, lease.id());
      }
    }
  }

  @Test
  public void evictionListener_throwing_keepsTheArtifact_andPropagates() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = ArtifactId.of("a");
    putThird(layer, "a", 0);
    putThird(layer, "b", 1);
    putThird(layer, "c", 2);
    IllegalStateException boom = new IllegalStateException("demotion failed");
    layer.setEvictionListener((tier, id, meta, bytes) -> {
      throw boom;
    });

    IllegalStateException thrown = assertThrows(
        IllegalStateException.class, () -> layer.put(ArtifactId.of("d"), ArtifactMeta.custom(), payload(THIRD, seed)));
    assertSame(boom, thrown);
    assertFalse(layer.contains(ArtifactId.of("d")));
    try (Lease kept = layer.get(a)) {
      assertPayload(bytes(kept), THIRD, seed, a);
    }

    layer.setEvictionListener(EvictionListener.DROP);
    putThird(layer, "d", 3);
    assertTrue(layer.contains(ArtifactId.of("d")));
  }

  /**
   * The replaced version rule of {@link io.stratacache.spi.RoomMaker}: a store never offers the
   * version it replaces to the eviction listener, and makes room from other artifacts first.
   */
  @Test
  public void replace_neverOffersTheReplacedVersionToTheListener() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = putThird(layer, "a", 1);
    putThird(layer, "b", 2);
    putThird(layer, "c", 3);
    List<ArtifactId> asked = new ArrayList<>();
    layer.setEvictionListener((tier, id, meta, bytes) -> asked.add(id));

    layer.put(a, meta(seed + 4, THIRD), payload(THIRD, seed + 4));

    assertFalse(asked.contains(a), "the listener was asked about the version being replaced: " + asked);
    try (Lease lease = layer.get(a)) {
      assertNotNull(lease, "the replacement is loadable");
      assertEquals(meta(seed + 4, THIRD), lease.meta());
      assertPayload(bytes(lease), THIRD, seed + 4, a);
    }
  }

  /**
   * The replaced version rule, last resort: when nothing else can go, the replaced version gives
   * way to its replacement without the listener being asked, and nothing else is lost.
   */
  @Test
  public void replace_whenEverythingElseIsPinned_takesTheReplacedVersionsRoom() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = putThird(layer, "a", 1);
    ArtifactId b = putThird(layer, "b", 2);
    ArtifactId c = putThird(layer, "c", 3);
    assertTrue(layer.pin(b));
    assertTrue(layer.pin(c));
    List<ArtifactId> asked = new ArrayList<>();
    layer.setEvictionListener((tier, id, meta, bytes) -> asked.add(id));

    layer.put(a, meta(seed + 4, THIRD), payload(THIRD, seed + 4));

    assertEquals(List.of(), asked, "nothing was evicted, so the listener is not asked");
    assertEquals(Set.of(a, b, c), Set.copyOf(layer.ids()));
    try (Lease lease = layer.get(a)) {
      assertPayload(bytes(lease), THIRD, seed + 4, a);
    }
    try (Lease lease = layer.get(b)) {
      assertPayload(bytes(lease), THIRD, seed + 2, b);
    }
    assertEquals(0, layer.stats().evictions(), "a replace is not an eviction");
    assertTrue(layer.unpin(b));
    assertTrue(layer.unpin(c));
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(30, SECONDS), "latch not released");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get(30, SECONDS);
    } catch (Exception e) {
      throw new AssertionError("another thread was blocked while an eviction listener ran", e);
    }
  }
}
