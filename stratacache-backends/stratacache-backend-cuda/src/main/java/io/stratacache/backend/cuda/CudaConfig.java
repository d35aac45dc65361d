package io.stratacache.backend.cuda;

import io.stratacache.spi.EvictionPolicy;
import io.stratacache.spi.LayerSpec;
import java.util.Objects;
import java.util.Set;

/**
 * The GPU tier's settings, read from a {@link LayerSpec}.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code device}</td><td>0</td><td>ordinal of the CUDA device</td></tr>
 *   <tr><td>{@code capacity}</td><td>one of the two</td><td>bytes of device memory the tier
 *       allocates at open</td></tr>
 *   <tr><td>{@code capacity_fraction}</td><td>one of the two</td><td>the same as a fraction (above 0,
 *       at most 0.95) of the device's free memory at open</td></tr>
 *   <tr><td>{@code eviction_policy}</td><td>{@code lru}</td><td>{@code lru} or {@code fifo}</td></tr>
 *   <tr><td>{@code alignment}</td><td>256</td><td>alignment of each artifact on the device, a power
 *       of two from 256 bytes to 1 MiB</td></tr>
 *   <tr><td>{@code staging_buffer}</td><td>8MiB</td><td>size of one pinned host staging buffer
 *       (64 KiB to 256 MiB); a copy streams through its two halves</td></tr>
 *   <tr><td>{@code staging_buffers}</td><td>4</td><td>pinned staging buffers, each with its own
 *       stream: copies of that many artifacts overlap</td></tr>
 * </table>
 *
 * @param device the device ordinal
 * @param capacityBytes bytes to allocate, or -1 when {@code capacityFraction} says
 * @param capacityFraction fraction of free device memory, or 0 when {@code capacityBytes} says
 * @param evictionPolicy name of the eviction policy
 * @param alignment alignment of artifacts on the device
 * @param stagingBytes bytes of one pinned staging buffer
 * @param stagingBuffers number of staging buffers (and streams)
 */
public record CudaConfig(
    int device,
    long capacityBytes,
    double capacityFraction,
    String evictionPolicy,
    long alignment,
    long stagingBytes,
    int stagingBuffers) {
  /** Keys the {@code cuda} provider understands besides {@link LayerSpec#COMMON_KEYS}. */
  public static final Set<String> KEYS =
      Set.of("device", "capacity_fraction", "alignment", "staging_buffer", "staging_buffers");

  /** Largest {@code capacity_fraction}: the driver and other users keep some memory. */
  public static final double MAX_FRACTION = 0.95;

  public CudaConfig {
    Objects.requireNonNull(evictionPolicy, "evictionPolicy");
  }

  /**
   * Reads and checks the settings of {@code spec}.
   *
   * @throws io.stratacache.core.ConfigException naming the key, the value and what was expected
   */
  public static CudaConfig from(LayerSpec spec) {
    spec.requireKnownKeys(KEYS);
    long device = spec.integer("device", 0);
    if (device < 0 || device > 1023) {
      throw spec.error("device", spec.settings().get("device"), "a device ordinal from 0 (see nvidia-smi -L)");
    }
    boolean bytes = spec.has("capacity");
    boolean fraction = spec.has("capacity_fraction");
    if (bytes == fraction) {
      throw spec.error(bytes ? "capacity_fraction" : "capacity", bytes ? spec.settings().get("capacity_fraction") : null,
          bytes ? "only one of capacity and capacity_fraction" : "a size such as 8GiB, or capacity_fraction such as 0.5");
    }
    long capacity = bytes ? spec.capacityBytes() : -1;
    double f = fraction ? spec.number("capacity_fraction", 0) : 0;
    if (fraction && !(f > 0 && f <= MAX_FRACTION)) {
      throw spec.error("capacity_fraction", spec.settings().get("capacity_fraction"),
          "a fraction of the device's free memory above 0 and at most " + MAX_FRACTION);
    }
    long alignment = spec.integer("alignment", 256);
    if (alignment < 256 || alignment > (1 << 20) || Long.bitCount(alignment) != 1) {
      throw spec.error("alignment", spec.settings().get("alignment"), "a power of two from 256 to 1048576");
    }
    long staging = spec.bytes("staging_buffer", 8L << 20);
    if (staging < (64 << 10) || staging > (256L << 20) || staging % 2 != 0) {
      throw spec.error("staging_buffer", spec.settings().get("staging_buffer"), "an even size from 64KiB to 256MiB");
    }
    long buffers = spec.integer("staging_buffers", 4);
    if (buffers < 1 || buffers > 64) {
      throw spec.error("staging_buffers", spec.settings().get("staging_buffers"), "1 to 64 buffers");
    }
    EvictionPolicy policy = spec.evictionPolicy();
    return new CudaConfig((int) device, capacity, f, policy.name(), alignment, staging, (int) buffers);
  }

  /**
   * The bytes to allocate on a device with {@code freeBytes} free.
   *
   * @throws io.stratacache.core.LayerUnavailableException if the device has less free memory than
   *     asked, naming both
   */
  long bytesToAllocate(String tier, String deviceName, long freeBytes) {
    long want = capacityBytes > 0 ? capacityBytes : (long) (freeBytes * capacityFraction);
    want -= want % alignment;
    if (want <= 0 || want > freeBytes) {
      throw new io.stratacache.core.LayerUnavailableException("cuda tier '" + tier + "': device " + device + " ("
          + deviceName + ") has " + freeBytes + " bytes free, "
          + (capacityBytes > 0 ? "less than tiers." + tier + ".capacity = " + capacityBytes + " bytes"
              : "too little for capacity_fraction " + capacityFraction)
          + " (expected: a capacity within the device's free memory, or a smaller capacity_fraction)");
    }
    return want;
  }
}
