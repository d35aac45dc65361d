package io.stratacache.spi;

import io.stratacache.core.ArtifactId;
import java.time.Instant;

/**
 * Optional: a layer that knows, for each artifact it holds, when it was last written (and, where
 * the layer tracks it, last read), in wall-clock time that survives a reopen. {@code stratacache
 * inspect} lists the oldest artifacts by it and {@code stratacache evict --older-than} selects by
 * it; on a layer without it those report that the tier keeps no ages.
 */
public interface ArtifactAges {
  /**
   * When {@code id} was last written or read.
   *
   * @return the instant, or {@code null} if the layer does not hold {@code id}
   */
  Instant lastUsed(ArtifactId id);
}
