package io.stratacache.core;

import java.io.Serial;

/** Thrown when an artifact is not held by the tier (or any tier) that a call asked. */
public final class ArtifactNotFoundException extends StrataCacheException {
  @Serial private static final long serialVersionUID = 1L;

  private final transient ArtifactId id;

  public ArtifactNotFoundException(ArtifactId id, String where) {
    super("artifact not found: " + id + " (looked in " + where + ")");
    this.id = id;
  }

  /** The id that was not found. */
  public ArtifactId id() {
    return id;
  }
}
