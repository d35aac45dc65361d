package io.stratacache.spi;

import io.stratacache.core.ArtifactId;
import java.lang.foreign.MemorySegment;

/**
 * Space a layer set aside for an artifact that the caller fills in place (for example by
 * gathering KV slots straight into the tier), then {@link #commit() commits}. Until committed
 * the artifact is invisible; {@link #close()} without commit discards the space.
 */
public interface Reservation extends AutoCloseable {
  /** The artifact being written. */
  ArtifactId id();

  /** The writable space, exactly the reserved size. */
  MemorySegment segment();

  /**
   * Publishes the artifact, replacing any earlier artifact with the same id.
   *
   * @throws IllegalStateException if already committed or closed
   */
  void commit();

  /** Discards the space if not committed. Idempotent. */
  @Override
  void close();
}
