package io.stratacache.backend.cuda;

import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.ProbeResult;

/**
 * Provider {@value #NAME}: {@link CudaLayer}s, tiers in GPU memory through JCuda. {@link #probe()}
 * says why it is unavailable on a machine without an NVIDIA driver or GPU; a tier marked {@code
 * optional: true} is then left out and the engine starts without it.
 */
public final class CudaLayerProvider implements LayerProvider {
  /** The provider's configuration name. */
  public static final String NAME = "cuda";

  @Override
  public String name() {
    return NAME;
  }

  /** Whether JCuda loads, the driver starts and sees a device; probed once per process. */
  @Override
  public ProbeResult probe() {
    return CudaDevice.probe();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Settings: {@code device}, {@code capacity} or {@code capacity_fraction}, {@code
   * eviction_policy}, {@code alignment}, {@code staging_buffer}, {@code staging_buffers} (see
   * {@link CudaConfig}).
   */
  @Override
  public MemoryLayer open(LayerSpec spec) {
    return CudaLayer.open(spec);
  }
}
