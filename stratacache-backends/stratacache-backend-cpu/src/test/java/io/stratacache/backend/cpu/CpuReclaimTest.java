package io.stratacache.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link CpuLayer#reclaim}: eviction ahead of demand through the make-room protocol. */
class CpuReclaimTest {
  private static final int SIZE = 1024;
  private static final ArtifactMeta META = ArtifactMeta.of(ArtifactType.CUSTOM);

  private static ArtifactId id(int i) {
    return ArtifactId.of("r", "a" + i);
  }

  private static CpuLayer layerOf(int artifacts) {
    return CpuLayer.open(LayerSpec.of("hot", "cpu", Map.of("capacity", (long) artifacts * SIZE)));
  }

  @Test
  void reclaim_evictsInPolicyOrder_downToTheTarget_askingTheListener_andSkipsPinnedAndLeased() {
    try (CpuLayer layer = layerOf(10); Arena arena = Arena.ofConfined()) {
      MemorySegment p = arena.allocate(SIZE);
      List<ArtifactId> offered = new ArrayList<>();
      layer.setEvictionListener((tier, id, meta, payload) -> {
        offered.add(id);
        return !id.equals(id(2)); // the listener keeps a2
      });
      for (int i = 0; i < 10; i++) {
        layer.put(id(i), META, p);
      }
      layer.pin(id(0));
      try (Lease held = layer.get(id(1))) {
        int gone = layer.reclaim(6L * SIZE, 100);
        assertEquals(4, gone);
        assertEquals(List.of(id(2), id(3), id(4), id(5), id(6)), offered, "a0 pinned and a1 leased were never offered");
        assertEquals(6L * SIZE, layer.stats().usedBytes());
        assertEquals(Set.of(id(0), id(1), id(2), id(7), id(8), id(9)), Set.copyOf(layer.ids()));
        assertEquals(4, layer.stats().evictions());
        assertTrue(held.segment().byteSize() == SIZE);
      }
      assertEquals(0, layer.reclaim(6L * SIZE, 100), "already at the target");
      assertEquals(1, layer.reclaim(0, 1), "at most maxVictims");
    }
  }

  @Test
  void reclaim_refusesBadArguments_andAClosedLayer() {
    CpuLayer layer = layerOf(4);
    assertThrows(IllegalArgumentException.class, () -> layer.reclaim(-1, 1));
    assertThrows(IllegalArgumentException.class, () -> layer.reclaim(0, -1));
    layer.close();
    assertThrows(LayerUnavailableException.class, () -> layer.reclaim(0, 1));
  }
}
