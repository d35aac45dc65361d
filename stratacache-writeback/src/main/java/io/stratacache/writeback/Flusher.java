package io.stratacache.writeback;

import io.stratacache.core.ArtifactId;

/**
 * Writes one dirty artifact of a link into the lower tier and clears its mark in the link's
 * {@link DirtySet}. Must be idempotent: called for an artifact that is no longer dirty, or no
 * longer stored, it does nothing and returns normally.
 */
@FunctionalInterface
public interface Flusher {
  /**
   * @throws Exception if the artifact could not be written; it stays dirty and is retried
   */
  void flush(ArtifactId id) throws Exception;
}
