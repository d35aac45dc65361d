package io.stratacache.spi;

/**
 * A lease on an artifact held in an accelerator's memory. Besides the host view of {@link
 * Lease#segment()} (copied from the device when first asked for), it exposes where the bytes lie on
 * the device, for an adapter that consumes device memory directly. The device bytes stay where
 * they are, neither evicted nor reused, until the lease is closed; after that, and after the layer
 * closes, the address must not be used.
 */
public interface DeviceLease extends Lease {
  /** The device address of the artifact's first byte (a {@code CUdeviceptr} on CUDA). */
  long deviceAddress();

  /** The ordinal of the device that holds the bytes. */
  int deviceOrdinal();
}
