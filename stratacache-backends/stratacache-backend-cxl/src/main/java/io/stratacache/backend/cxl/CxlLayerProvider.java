package io.stratacache.backend.cxl;

import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.ProbeResult;

/**
 * The {@code cxl} provider: a region of CXL or shared memory mapped from a DAX device, an fsdax
 * file or a regular or {@code /dev/shm} file.
 */
public final class CxlLayerProvider implements LayerProvider {
  /** The provider's configuration name. */
  public static final String NAME = "cxl";

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Available: a file or {@code /dev/shm} region works on any machine. A configured DAX device that
   * is missing is reported by {@link #open}, naming the device and the fix.
   */
  @Override
  public ProbeResult probe() {
    return ProbeResult.ok();
  }

  /** Opens a {@link CxlLayer}; see {@link CxlConfig} for the settings. */
  @Override
  public MemoryLayer open(LayerSpec spec) {
    return CxlLayer.open(spec);
  }
}
