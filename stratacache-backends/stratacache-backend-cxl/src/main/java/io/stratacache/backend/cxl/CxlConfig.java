package io.stratacache.backend.cxl;

import io.stratacache.config.FileAccessSettings;
import io.stratacache.core.io.PrivateFiles;
import io.stratacache.spi.EvictionPolicy;
import io.stratacache.spi.LayerSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * The CXL tier's settings, read from a {@link LayerSpec}. Geometry settings ({@code slots},
 * {@code block_size}, {@code alignment}, {@code max_processes}, and the size) apply when a region
 * is formatted; a region that already holds a valid header keeps its own.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code path} (alias {@code device})</td><td>required</td><td>a DAX character device
 *       ({@code /dev/daxX.Y}), a file on an fsdax mount, or a regular or {@code /dev/shm} file
 *       (created if missing)</td></tr>
 *   <tr><td>{@code capacity}</td><td>from {@code size}</td><td>bytes of the data area, in whole
 *       blocks; a region created for it is exactly this plus the metadata, and a larger region
 *       formatted with it uses only this much</td></tr>
 *   <tr><td>{@code size}</td><td>from {@code capacity}</td><td>bytes of the whole region, when
 *       creating one (a device's own size otherwise)</td></tr>
 *   <tr><td>{@code reset_metadata}</td><td>false</td><td>format the region at open, dropping
 *       what it holds (refused while another process has it open)</td></tr>
 *   <tr><td>{@code eviction_policy}</td><td>{@code lru}</td><td>{@code lru}, {@code fifo} or {@code s3fifo}</td></tr>
 *   <tr><td>{@code alignment}</td><td>4096</td><td>payload alignment inside records</td></tr>
 *   <tr><td>{@code block_size}</td><td>4096</td><td>allocation unit of the data area</td></tr>
 *   <tr><td>{@code slots}</td><td>data bytes / 64 KiB, 1024 to 2<sup>20</sup></td><td>most
 *       artifacts the region can hold</td></tr>
 *   <tr><td>{@code max_processes}</td><td>32</td><td>processes that may map the region at once</td></tr>
 *   <tr><td>{@code lock_lease_ms}</td><td>10000</td><td>how long a live holder of the region lock
 *       may keep it before others may break it</td></tr>
 *   <tr><td>{@code verify}</td><td>{@code always}</td><td>{@code always}: every load checks the
 *       payload's CRC32C; {@code once}: the first load of each commit in this process does, later
 *       loads of the same commit trust it (a stray write into a committed record would then be
 *       served)</td></tr>
 *   <tr><td>{@code mode}</td><td>{@code "0600"}</td><td>mode of a region file the tier creates (and
 *       of a directory it creates for it), in quotes; an existing region file must not be writable
 *       beyond it nor, while it shares nothing, owned by another user: see {@link PrivateFiles}.
 *       Set it, such as {@code "0660"}, with {@code group} for a region that several users'
 *       processes share on purpose</td></tr>
 *   <tr><td>{@code group}</td><td>none</td><td>group given to a region file the tier creates, and
 *       required of an existing one</td></tr>
 * </table>
 *
 * @param path the region's file or device
 * @param capacityBytes data bytes wanted, or -1 to derive them from {@code sizeBytes}
 * @param sizeBytes region bytes wanted, or -1 to derive them from {@code capacityBytes}
 * @param resetMetadata format at open
 * @param evictionPolicy name of the eviction policy
 * @param alignment payload alignment inside records
 * @param blockBytes allocation unit
 * @param slots object table slots, or -1 for the default
 * @param maxProcesses process table entries
 * @param lockLease how long the region lock may be held
 * @param verifyEveryLoad whether every load checks the payload checksum ({@code verify: always})
 * @param access how a region file is created and checked ({@code mode}, {@code group})
 */
public record CxlConfig(
    Path path,
    long capacityBytes,
    long sizeBytes,
    boolean resetMetadata,
    String evictionPolicy,
    int alignment,
    int blockBytes,
    int slots,
    int maxProcesses,
    Duration lockLease,
    boolean verifyEveryLoad,
    PrivateFiles access) {
  /** Keys the {@code cxl} provider understands besides {@link LayerSpec#COMMON_KEYS}. */
  public static final Set<String> KEYS = Set.of(
      "path", "device", "size", "reset_metadata", "alignment", "block_size", "slots", "max_processes", "lock_lease_ms",
      "verify", "mode", "group");

  static final int MIN_SLOTS = 1024;
  static final int MAX_SLOTS = 1 << 20;
  static final long BYTES_PER_DEFAULT_SLOT = 64 << 10;

  public CxlConfig {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(evictionPolicy, "evictionPolicy");
    Objects.requireNonNull(lockLease, "lockLease");
    Objects.requireNonNull(access, "access");
  }

  /** Whether {@code path} names a device-dax character device. */
  public boolean isDaxDevice() {
    return path.startsWith("/dev") && path.getFileName() != null && path.getFileName().toString().startsWith("dax");
  }

  /** Slots to format with for a data area of {@code dataBytes}. */
  int slotsFor(long dataBytes) {
    if (slots > 0) {
      return slots;
    }
    return (int) Math.max(MIN_SLOTS, Math.min(MAX_SLOTS, dataBytes / BYTES_PER_DEFAULT_SLOT));
  }

  /**
   * Reads and checks the settings of {@code spec}.
   *
   * @throws io.stratacache.core.ConfigException naming the key, the value and what was expected
   */
  public static CxlConfig from(LayerSpec spec) {
    spec.requireKnownKeys(KEYS);
    Path path = spec.path("path", null);
    Path device = spec.path("device", null);
    if (path != null && device != null && !path.equals(device)) {
      throw spec.error("device", device.toString(), "the same as path (\"" + path + "\"), or only one of the two");
    }
    if (path == null) {
      path = device;
    }
    if (path == null) {
      throw spec.error("path", null, "a DAX device such as /dev/dax0.0, or a file such as /dev/shm/stratacache-" + spec.tier());
    }
    long capacity = spec.bytes("capacity", -1);
    long size = spec.bytes("size", -1);
    if (spec.has("capacity") && capacity <= 0) {
      throw spec.error("capacity", spec.settings().get("capacity"), "a positive size such as 512MiB");
    }
    if (spec.has("size") && size <= 0) {
      throw spec.error("size", spec.settings().get("size"), "a positive size such as 1GiB");
    }
    long alignment = spec.integer("alignment", 4096);
    if (alignment <= 0 || alignment > (1 << 20) || Long.bitCount(alignment) != 1) {
      throw spec.error("alignment", spec.settings().get("alignment"), "a power of two from 1 to 1048576");
    }
    long block = spec.integer("block_size", 4096);
    if (block < 64 || block > (1 << 24) || Long.bitCount(block) != 1) {
      throw spec.error("block_size", spec.settings().get("block_size"), "a power of two from 64 to 16777216");
    }
    if (alignment > block) {
      throw spec.error("alignment", alignment, "at most block_size (" + block + ")");
    }
    long slots = spec.integer("slots", -1);
    if (spec.has("slots") && (slots < 1 || slots > MAX_SLOTS)) {
      throw spec.error("slots", spec.settings().get("slots"), "1 to " + MAX_SLOTS);
    }
    long processes = spec.integer("max_processes", 32);
    if (processes < 1 || processes > 4096) {
      throw spec.error("max_processes", spec.settings().get("max_processes"), "1 to 4096");
    }
    long leaseMs = spec.integer("lock_lease_ms", 10_000);
    if (leaseMs < 10 || leaseMs > 1_000_000_000L) {
      throw spec.error("lock_lease_ms", spec.settings().get("lock_lease_ms"), "10 to 1000000000 milliseconds");
    }
    EvictionPolicy policy = spec.evictionPolicy();
    String verify = spec.string("verify", "always");
    if (!verify.equals("always") && !verify.equals("once")) {
      throw spec.error("verify", verify, "always or once");
    }
    return new CxlConfig(path, capacity, size, spec.bool("reset_metadata", false), policy.name(), (int) alignment,
        (int) block, (int) slots, (int) processes, Duration.ofMillis(leaseMs), verify.equals("always"),
        FileAccessSettings.read(spec));
  }
}
