package io.stratacache.config;

import java.util.Objects;

/** The link from tier {@code from} to the tier directly below it, {@code to}. */
public record LinkConfig(String from, String to, LinkMode mode) {
  public LinkConfig {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(mode, "mode");
  }
}
