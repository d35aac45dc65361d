package io.stratacache.testkit;

import io.stratacache.core.ArtifactId;
import io.stratacache.spi.MemoryLayer;

/**
 * Opens layers of the provider under test for the conformance kit. A volatile layer needs only
 * {@link #open}, which a lambda can be:
 *
 * <pre>{@code
 * LayerFactory f = (tier, capacity, policy) -> LayerProviders.forName("cpu")
 *     .open(LayerSpec.of(tier, "cpu", Map.of("capacity", capacity, "eviction_policy", policy)));
 * }</pre>
 *
 * A layer that declares {@link io.stratacache.spi.Capability#DURABLE} also overrides {@link
 * #reopen} and {@link #damagePayload}; {@link PathLayerFactory} does the bookkeeping for layers
 * that live in a file or directory.
 */
@FunctionalInterface
public interface LayerFactory {
  /**
   * Opens a fresh, empty layer called {@code tier} that holds at most {@code capacityBytes}, with
   * eviction policy {@code evictionPolicy} ({@code lru}, {@code fifo} or {@code s3fifo}, the setting {@code
   * eviction_policy}) and the provider's defaults otherwise. Called several times per test,
   * possibly with different names.
   */
  MemoryLayer open(String tier, long capacityBytes, String evictionPolicy);

  /**
   * Opens again, over the same medium, the layer last {@linkplain #open opened} as {@code tier},
   * which has since been closed. Only called for layers that declare {@code DURABLE}.
   */
  default MemoryLayer reopen(String tier, long capacityBytes) {
    throw new UnsupportedOperationException(
        getClass().getName() + " does not override LayerFactory.reopen (expected for a layer that declares DURABLE)");
  }

  /**
   * Changes one byte of the stored payload of {@code id} on the medium of the closed layer {@code
   * tier}, as a torn write or bit rot would. Only called for layers that declare {@code DURABLE}.
   */
  default void damagePayload(String tier, ArtifactId id) {
    throw new UnsupportedOperationException(
        getClass().getName() + " does not override LayerFactory.damagePayload (expected for a layer that declares DURABLE)");
  }
}
