package io.stratacache.writeback;

import io.stratacache.core.ArtifactId;

/** Told about each failed flush. Must not throw; whatever it throws is ignored. */
@FunctionalInterface
public interface FlushErrorHandler {
  void onError(String link, ArtifactId id, int failures, Throwable error);
}
