package io.stratacache.spi;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import java.lang.foreign.MemorySegment;

/**
 * Told about an artifact a layer wants to evict, before its space is reused. The tier chain wires
 * one per layer to demote the artifact, or to flush it if it is dirty. Layers call it; nothing
 * else registers one (code that only wants to hear of evictions registers an {@link
 * io.stratacache.core.EvictionObserver} with the engine).
 *
 * <p>Called without the layer's lock held; other artifacts stay usable meanwhile. The artifact
 * stays loadable until the listener returns. {@code payload} is valid only during the call.
 */
@FunctionalInterface
public interface EvictionListener {
  /** A listener that lets every eviction go ahead. */
  EvictionListener DROP = (tier, id, meta, payload) -> true;

  /**
   * If the listener throws, the artifact is kept and the exception propagates from the call that
   * needed the room.
   *
   * @return {@code true} to let the eviction go ahead; {@code false} to keep the artifact (for
   *     example a dirty artifact whose flush failed), in which case the layer picks another victim
   */
  boolean beforeEvict(String tier, ArtifactId id, ArtifactMeta meta, MemorySegment payload);
}
