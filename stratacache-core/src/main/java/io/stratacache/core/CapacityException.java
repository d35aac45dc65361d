package io.stratacache.core;

import java.io.Serial;

/**
 * Thrown when an artifact cannot be placed in a tier: it is larger than the tier, or every byte
 * of the tier is held by leases or pins. Nothing already stored is lost when this is thrown.
 */
public final class CapacityException extends StrataCacheException {
  @Serial private static final long serialVersionUID = 1L;

  public CapacityException(String message) {
    super(message);
  }
}
