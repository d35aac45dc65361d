package io.stratacache.writeback;

import io.stratacache.core.ArtifactId;
import java.util.List;

/**
 * What a drain achieved.
 *
 * @param dirty artifacts the drain had to write (dirty when it began)
 * @param flushed artifacts the drain wrote
 * @param errors failed flush attempts during the drain
 * @param unflushed of those, artifacts still dirty when the drain gave up (empty on success)
 */
public record WritebackReport(long dirty, long flushed, long errors, List<ArtifactId> unflushed) {
  public WritebackReport {
    unflushed = List.copyOf(unflushed);
  }

  /** Whether everything was flushed. */
  public boolean complete() {
    return unflushed.isEmpty();
  }
}
