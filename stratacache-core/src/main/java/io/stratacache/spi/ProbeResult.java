package io.stratacache.spi;

import java.util.Objects;

/** Whether a provider's medium can be used here, and if not, why and how to fix it. */
public record ProbeResult(boolean available, String reason) {
  private static final ProbeResult AVAILABLE = new ProbeResult(true, "available");

  public ProbeResult {
    Objects.requireNonNull(reason, "reason");
  }

  public static ProbeResult ok() {
    return AVAILABLE;
  }

  /** The medium is unusable; {@code reason} says why and names the fix. */
  public static ProbeResult unavailable(String reason) {
    return new ProbeResult(false, reason);
  }
}
