package io.stratacache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.spi.Capability;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import org.junit.jupiter.api.Test;

/**
 * Contract {@code pins}: pins nest, belong to the id (they survive a replace and end with delete),
 * and keep an artifact through eviction pressure until the last unpin.
 */
@Contract("pins")
public abstract class AbstractPinTest extends AbstractLayerTest {
  @Test
  @NotFor(Capability.SELF_EVICTING)
  public void replace_keepsThePins() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("pinned");
    layer.put(id, ArtifactMeta.custom(), payload(THIRD, seed));
    assertTrue(layer.pin(id));
    layer.put(id, ArtifactMeta.custom(), payload(THIRD, seed + 1));

    for (int i = 0; i < 6; i++) {
      putThird(layer, "f" + i, 10 + i);
    }
    assertTrue(layer.contains(id), "replaced artifact lost its pin and was evicted");
    assertEquals(1, layer.stats().pinned());
    assertTrue(layer.unpin(id));
    assertFalse(layer.unpin(id), "replace added a pin");
    assertEquals(0, layer.stats().pinned());
  }

  @Test
  @NotFor(Capability.SELF_EVICTING)
  public void pinnedArtifacts_surviveEvictionPressure_untilUnpinned() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId a = putThird(layer, "pinned", 0);
    assertTrue(layer.pin(a));
    assertTrue(layer.pin(a), "pins nest");
    for (int i = 0; i < 10; i++) {
      putThird(layer, "f" + i, 1 + i);
    }
    assertTrue(layer.contains(a), "pinned artifact was evicted");
    assertTrue(layer.unpin(a));
    for (int i = 10; i < 20; i++) {
      putThird(layer, "f" + i, 1 + i);
    }
    assertTrue(layer.contains(a), "artifact pinned twice and unpinned once was evicted");
    try (Lease lease = layer.get(a)) {
      assertPayload(bytes(lease), THIRD, seed, a);
    }
    assertTrue(layer.unpin(a));
    assertFalse(layer.unpin(a), "unpin of an unpinned artifact");
    for (int i = 20; i < 30; i++) {
      putThird(layer, "f" + i, 1 + i);
    }
    assertFalse(layer.contains(a), "unpinned artifact was never evicted");
  }

  @Test
  public void pin_ofAbsentArtifact_returnsFalse() {
    MemoryLayer layer = open("hot", CAPACITY);
    assertFalse(layer.pin(ArtifactId.of("absent")));
    assertFalse(layer.unpin(ArtifactId.of("absent")));
    assertEquals(0, layer.stats().pinned());
  }

  @Test
  public void delete_endsThePins() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("p");
    layer.put(id, ArtifactMeta.custom(), payload(10, seed));
    assertTrue(layer.pin(id));
    assertTrue(layer.delete(id));
    assertEquals(0, layer.stats().pinned());
    layer.put(id, ArtifactMeta.custom(), payload(10, seed));
    assertFalse(layer.unpin(id), "a pin outlived delete");
  }
}
