package io.stratacache.core;

/**
 * Told after an artifact left a tier to make room (it may still be held, or have been demoted,
 * below). Register one with the engine's {@code admin().onEviction(observer)}.
 *
 * <p>This is the one eviction observer. The layer-level {@link
 * io.stratacache.spi.EvictionListener} is a different thing: the engine sets exactly one on each
 * layer, it is asked <em>before</em> the eviction and may refuse it (to write a dirty artifact
 * down first); an observer only hears of evictions that went ahead and cannot change them.
 *
 * <p>Called on the thread that needed the room: keep it short and never call back into the
 * engine from it. Whatever it throws is logged and ignored.
 */
@FunctionalInterface
public interface EvictionObserver {
  /**
   * @param tier the tier the artifact left
   * @param id the artifact
   * @param meta its metadata
   */
  void evicted(String tier, ArtifactId id, ArtifactMeta meta);
}
