package io.stratacache.core;

import java.io.Serial;

/**
 * Base of every error StrataCache raises. Unchecked: callers that can recover catch the
 * specific subclass; everything else propagates. Messages name the offending value and what
 * was expected.
 */
public class StrataCacheException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  public StrataCacheException(String message) {
    super(message);
  }

  public StrataCacheException(String message, Throwable cause) {
    super(message, cause);
  }
}
