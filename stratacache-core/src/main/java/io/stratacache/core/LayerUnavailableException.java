package io.stratacache.core;

import java.io.Serial;

/**
 * Thrown when a memory layer cannot serve a call: its medium is missing (no GPU, no DAX
 * device), it was closed, or its server is unreachable.
 */
public final class LayerUnavailableException extends StrataCacheException {
  @Serial private static final long serialVersionUID = 1L;

  public LayerUnavailableException(String message) {
    super(message);
  }

  public LayerUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
