package io.stratacache.config;

import java.util.Objects;

/**
 * The link from tier {@code from} to the tier directly below it, {@code to}.
 *
 * @param from the upper tier
 * @param to the tier directly below it
 * @param mode write-through or write-back
 * @param admitAfter the use (a store or a load hit, counted approximately) from which an artifact
 *     is written down this link, 1 to {@value #MAX_ADMIT_AFTER}; 1 (the default) writes every
 *     artifact down. Above 1, an artifact used fewer times stays in the tiers above only (unless
 *     the tier below already holds a version of it, which is always replaced) and is dropped, not
 *     demoted, when evicted; it is written down once its n-th use comes. Spares a durable tier
 *     the writes of artifacts used once.
 */
public record LinkConfig(String from, String to, LinkMode mode, int admitAfter) {
  /** The largest {@link #admitAfter()}. */
  public static final int MAX_ADMIT_AFTER = 15;

  /**
   * @throws IllegalArgumentException if {@code admitAfter} is not from 1 to {@value #MAX_ADMIT_AFTER}
   */
  public LinkConfig {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(mode, "mode");
    if (admitAfter < 1 || admitAfter > MAX_ADMIT_AFTER) {
      throw new IllegalArgumentException("admit_after: " + admitAfter + " (expected: an integer from 1 to " + MAX_ADMIT_AFTER
          + "; 1 writes every artifact down)");
    }
  }

  /** A link that writes every artifact down. */
  public LinkConfig(String from, String to, LinkMode mode) {
    this(from, to, mode, 1);
  }
}
