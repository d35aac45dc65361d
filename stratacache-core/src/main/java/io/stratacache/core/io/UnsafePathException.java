package io.stratacache.core.io;

import java.io.IOException;
import java.io.Serial;
import java.nio.file.Path;

/**
 * Thrown when an existing directory, region or file that a tier would use is not safe to use:
 * writable by users other than its owner, owned by another user, or a symbolic link where none is
 * followed, and the tier's configuration does not say that sharing it is intended. The message
 * names the path, its owner and its mode, and the fix.
 */
public final class UnsafePathException extends IOException {
  @Serial private static final long serialVersionUID = 1L;

  private final transient Path path;

  /**
   * @param path the path refused
   * @param message why, naming the path, its owner, its mode and the fix
   */
  public UnsafePathException(Path path, String message) {
    super(message);
    this.path = path;
  }

  /** The path refused. */
  public Path path() {
    return path;
  }
}
