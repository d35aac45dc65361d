package io.stratacache.spi;

/**
 * Optional: a layer that can evict ahead of demand. The engine's maintenance calls it from its
 * background thread to bring a tier from above its high watermark down to its low watermark, so
 * that a store into the tier finds room without waiting for the eviction listener to write
 * victims into a lower tier. Eviction here follows the same protocol as a store's make-room
 * ({@link RoomMaker}): victims in {@link EvictionPolicy} order, pinned and leased artifacts
 * skipped, each offered to the {@link EvictionListener}, which may keep it.
 */
public interface Reclaimable {
  /**
   * Evicts victims until {@link LayerStats#usedBytes()} is at most {@code targetUsedBytes}, {@code
   * maxVictims} artifacts have left, or no victim is left that the listener lets go. Never waits
   * for another eviction in progress.
   *
   * @return how many artifacts left the layer
   * @throws IllegalArgumentException if {@code targetUsedBytes} or {@code maxVictims} is negative
   * @throws io.stratacache.core.LayerUnavailableException if the layer is closed
   */
  int reclaim(long targetUsedBytes, int maxVictims);
}
