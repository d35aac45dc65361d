package io.stratacache.writeback;

import io.stratacache.core.ArtifactId;
import java.util.List;

/**
 * What a drain achieved.
 *
 * @param flushed artifacts flushed over the worker's life
 * @param errors failed flush attempts over the worker's life
 * @param unflushed artifacts still dirty when the drain gave up (empty on success)
 */
public record WritebackReport(long flushed, long errors, List<ArtifactId> unflushed) {
  public WritebackReport {
    unflushed = List.copyOf(unflushed);
  }

  /** Whether everything was flushed. */
  public boolean complete() {
    return unflushed.isEmpty();
  }
}
