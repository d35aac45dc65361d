package io.stratacache.engine;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;

/**
 * Told after an artifact left a tier to make room (it may still be held, or have been demoted,
 * below). Called on the thread that needed the room: keep it short and never call back into the
 * engine from it. Whatever it throws is logged and ignored.
 */
@FunctionalInterface
public interface EvictionObserver {
  void evicted(String tier, ArtifactId id, ArtifactMeta meta);
}
