package io.stratacache.core;

import java.io.Serial;

/** Thrown when the bytes of a lease are used after the lease was closed. */
public final class LeaseClosedException extends StrataCacheException {
  @Serial private static final long serialVersionUID = 1L;

  public LeaseClosedException(String message) {
    super(message);
  }

  public LeaseClosedException(String message, Throwable cause) {
    super(message, cause);
  }
}
