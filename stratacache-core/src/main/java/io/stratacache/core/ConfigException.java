package io.stratacache.core;

import java.io.Serial;

/**
 * Thrown at start-up when a configuration is invalid. The message names the source (file or
 * builder), the key, the value found and what was expected.
 */
public final class ConfigException extends StrataCacheException {
  @Serial private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
