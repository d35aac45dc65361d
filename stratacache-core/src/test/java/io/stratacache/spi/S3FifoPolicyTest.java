package io.stratacache.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class S3FifoPolicyTest {
  private static ArtifactId id(int i) {
    return ArtifactId.of("s3", "a" + i);
  }

  /** A cache of {@code capacity} equal artifacts driven by {@code policy}, evicting the first victim. */
  private static final class Cache {
    final EvictionPolicy policy;
    final int capacity;
    final Set<ArtifactId> held = new LinkedHashSet<>();
    final Set<ArtifactId> pinned = new HashSet<>();
    long hits;

    Cache(String policy, int capacity) {
      this.policy = EvictionPolicy.forName(policy);
      this.capacity = capacity;
    }

    void request(ArtifactId id) {
      if (held.contains(id)) {
        hits++;
        policy.onAccess(id);
        return;
      }
      while (held.size() >= capacity) {
        ArtifactId victim = null;
        for (Iterator<ArtifactId> it = policy.victims(); it.hasNext(); ) {
          ArtifactId c = it.next();
          if (!pinned.contains(c)) {
            victim = c;
            break;
          }
        }
        held.remove(victim);
        policy.onRemove(victim);
      }
      held.add(id);
      policy.onInsert(id, 100);
    }
  }

  @Test
  void forName_givesS3Fifo() {
    assertEquals("s3fifo", EvictionPolicy.forName("s3fifo").name());
  }

  @Test
  void aLoadedArtifact_survivesAScanOfArtifactsStoredOnce() {
    for (String name : List.of("lru", "fifo", "s3fifo")) {
      Cache c = new Cache(name, 10);
      c.request(id(0));
      c.request(id(0)); // loaded once since it was stored
      for (int i = 1; i <= 100; i++) {
        c.request(id(i)); // a scan
      }
      assertEquals(name.equals("s3fifo"), c.held.contains(id(0)), name + " after a scan holds " + c.held);
    }
  }

  @Test
  void unusedArtifacts_leaveInStoreOrder() {
    EvictionPolicy p = EvictionPolicy.forName("s3fifo");
    for (int i = 0; i < 5; i++) {
      p.onInsert(id(i), 10);
    }
    List<ArtifactId> order = new ArrayList<>();
    p.victims().forEachRemaining(order::add);
    assertEquals(List.of(id(0), id(1), id(2), id(3), id(4)), order);
  }

  @Test
  void aPassedOverVictim_isOfferedAgainByTheNextWalk_andTheWalkEnds() {
    S3FifoPolicy p = new S3FifoPolicy();
    for (int i = 0; i < 4; i++) {
      p.onInsert(id(i), 10);
      p.onAccess(id(i));
      p.onAccess(id(i));
    }
    // every artifact was loaded: the walk moves them to the main queue and ages them, then offers each once
    List<ArtifactId> first = new ArrayList<>();
    p.victims().forEachRemaining(first::add);
    assertEquals(4, new HashSet<>(first).size());
    assertEquals(4, first.size());
    assertEquals(4, p.mainCount());
    Iterator<ArtifactId> again = p.victims();
    assertTrue(again.hasNext());
    assertEquals(first.get(0), again.next(), "a victim the layer did not remove stays first");
    Iterator<ArtifactId> empty = new S3FifoPolicy().victims();
    assertFalse(empty.hasNext());
    assertThrows(NoSuchElementException.class, empty::next);
  }

  @Test
  void anIdEvictedFromTheSmallQueue_andStoredAgain_entersTheMainQueue() {
    S3FifoPolicy p = new S3FifoPolicy();
    p.onInsert(id(1), 10);
    ArtifactId victim = p.victims().next();
    assertEquals(id(1), victim);
    p.onRemove(victim);
    assertEquals(1, p.ghostCount());
    p.onInsert(id(1), 10);
    assertEquals(1, p.mainCount());
    assertEquals(0, p.smallCount());
    assertEquals(0, p.ghostCount());
  }

  @Test
  void aDeleteThatWasNeverOffered_isNotRemembered() {
    S3FifoPolicy p = new S3FifoPolicy();
    p.onInsert(id(1), 10);
    p.onRemove(id(1));
    p.onRemove(id(1));
    assertEquals(0, p.ghostCount());
    assertFalse(p.victims().hasNext());
  }

  @Test
  void pinnedVictims_arePassedOver_andEveryOtherArtifactIsOfferedOnce() {
    S3FifoPolicy p = new S3FifoPolicy();
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < 200; i++) {
      p.onInsert(id(i), 1 + r.nextInt(1000));
      for (int k = r.nextInt(5); k > 0; k--) {
        p.onAccess(id(r.nextInt(i + 1)));
      }
    }
    Set<ArtifactId> seen = new HashSet<>();
    for (Iterator<ArtifactId> it = p.victims(); it.hasNext(); ) {
      assertTrue(seen.add(it.next()), "offered twice in one walk");
    }
    assertEquals(200, seen.size());
    assertEquals(200, p.smallCount() + p.mainCount());
  }

  @Test
  void zipfWithScans_s3fifoHitsMoreThanLru() {
    Cache lru = new Cache("lru", 100);
    Cache s3 = new Cache("s3fifo", 100);
    SplittableRandom r1 = new SplittableRandom(11);
    SplittableRandom r2 = new SplittableRandom(11);
    int scan = 100_000;
    for (int i = 0; i < 50_000; i++) {
      boolean scanning = i % 4 == 3;
      lru.request(scanning ? id(scan + i) : id(zipf(r1)));
      s3.request(scanning ? id(scan + i) : id(zipf(r2)));
    }
    assertTrue(s3.hits > lru.hits * 1.1, "s3fifo " + s3.hits + " vs lru " + lru.hits);
  }

  /** Roughly Zipf(1) over 1000 ids. */
  private static int zipf(SplittableRandom r) {
    return (int) Math.floor(Math.pow(1000, r.nextDouble())) - 1;
  }
}
