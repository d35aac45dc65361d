package io.stratacache.core;

import java.io.Serial;

/** Thrown when bytes do not form a valid record or tensor: never a wrong payload instead. */
public final class CodecException extends StrataCacheException {
  @Serial private static final long serialVersionUID = 1L;

  public CodecException(String message) {
    super(message);
  }

  public CodecException(String message, Throwable cause) {
    super(message, cause);
  }
}
