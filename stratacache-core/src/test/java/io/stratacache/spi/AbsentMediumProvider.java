package io.stratacache.spi;

import io.stratacache.core.LayerUnavailableException;

/**
 * A provider for a medium this machine does not have, registered in this module's test
 * resources so that {@link LayerProviders} finds a provider on the test class path.
 */
public class AbsentMediumProvider implements LayerProvider {
  static final String NAME = "absent-medium";
  static final String REASON = "no absent-medium device here; attach one to use this tier";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ProbeResult probe() {
    return ProbeResult.unavailable(REASON);
  }

  @Override
  public MemoryLayer open(LayerSpec spec) {
    throw new LayerUnavailableException("tier '" + spec.tier() + "': " + REASON);
  }

  /** A provider whose name breaks the naming rule. */
  public static final class BadlyNamed extends AbsentMediumProvider {
    @Override
    public String name() {
      return "Absent Medium";
    }
  }

  /** A second provider claiming the same name. */
  public static final class SameName extends AbsentMediumProvider {}
}
