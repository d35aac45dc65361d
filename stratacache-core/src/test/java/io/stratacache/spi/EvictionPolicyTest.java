package io.stratacache.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.stratacache.core.ArtifactId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvictionPolicyTest {
  private static List<String> victims(EvictionPolicy p) {
    List<String> out = new ArrayList<>();
    for (Iterator<ArtifactId> it = p.victims(); it.hasNext(); ) {
      out.add(it.next().value());
    }
    return out;
  }

  private static EvictionPolicy filled(String name) {
    EvictionPolicy p = EvictionPolicy.forName(name);
    for (String id : List.of("a", "b", "c", "d")) {
      p.onInsert(ArtifactId.of(id), 1);
    }
    return p;
  }

  @Test
  void lru_evictsTheLeastRecentlyStoredOrLoaded() {
    EvictionPolicy p = filled("lru");
    assertEquals("lru", p.name());
    assertEquals(List.of("a", "b", "c", "d"), victims(p));
    p.onAccess(ArtifactId.of("a"));
    assertEquals(List.of("b", "c", "d", "a"), victims(p));
    p.onInsert(ArtifactId.of("b"), 1);
    assertEquals(List.of("c", "d", "a", "b"), victims(p));
    p.onRemove(ArtifactId.of("d"));
    p.onAccess(ArtifactId.of("d"));
    assertEquals(List.of("c", "a", "b"), victims(p));
  }

  @Test
  void fifo_evictsTheOldestStore_ignoringLoads() {
    EvictionPolicy p = filled("fifo");
    assertEquals("fifo", p.name());
    p.onAccess(ArtifactId.of("a"));
    assertEquals(List.of("a", "b", "c", "d"), victims(p));
    p.onInsert(ArtifactId.of("a"), 1);
    assertEquals(List.of("b", "c", "d", "a"), victims(p));
    p.onRemove(ArtifactId.of("c"));
    assertEquals(List.of("b", "d", "a"), victims(p));
  }

  @Test
  void forName_makesFreshPolicies_andNamesTheKnownOnes() {
    EvictionPolicy one = filled("lru");
    assertEquals(List.of(), victims(EvictionPolicy.forName("lru")));
    assertEquals(4, victims(one).size());
    assertEquals("eviction policy \"LRU\" (expected: lru, fifo or s3fifo)",
        assertThrows(IllegalArgumentException.class, () -> EvictionPolicy.forName("LRU")).getMessage());
  }
}
