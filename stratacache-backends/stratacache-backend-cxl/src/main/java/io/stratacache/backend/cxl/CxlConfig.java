package io.stratacache.backend.cxl;

import io.stratacache.config.ExpirySettings;
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
 *   <tr><td>{@code expected_artifact_size}</td><td>16 KiB</td><td>the typical artifact's size,
 *       which sizes the slot table: data bytes / max(this, {@code block_size}) slots, 1024 to
 *       2<sup>24</sup>. Each slot costs about 150 bytes of the region; too few slots make stores
 *       evict, or fail, while bytes are still free (reported naming this setting)</td></tr>
 *   <tr><td>{@code slots}</td><td>from {@code expected_artifact_size}</td><td>most artifacts the
 *       region can hold, set directly (1 to 2<sup>24</sup>)</td></tr>
 *   <tr><td>{@code max_processes}</td><td>32</td><td>processes that may map the region at once</td></tr>
 *   <tr><td>{@code lock_lease_ms}</td><td>10000</td><td>how long a live holder of the region lock
 *       may keep it before others may break it</td></tr>
 *   <tr><td>{@code verify}</td><td>{@code once}</td><td>{@code once}: a process checks a
 *       payload's CRC32C on its first load of each commit it did not write, and trusts the commit
 *       after that (a stray write into it would then be served); {@code always}: every load
 *       checks it. See {@code CxlLoads}</td></tr>
 *   <tr><td>{@code kv_expire_time}</td><td>0</td><td>seconds without a store or load, by any
 *       process, after which an artifact expires (sliding); 0 = never. As the SSD tier's</td></tr>
 *   <tr><td>{@code cleanup_interval}</td><td>60</td><td>seconds between expiry sweeps</td></tr>
 *   <tr><td>{@code exclusive}</td><td>false</td><td>open only if no other live process has the
 *       region open, and refuse other opens while open (for {@code fsck} and {@code repair});
 *       either refusal names the other processes. Such an open leaves the region as it finds
 *       it (no repair at open), for {@code check} to report and, asked to, repair</td></tr>
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
 * @param slots object table slots, or -1 to derive them from {@code expectedArtifactBytes}
 * @param expectedArtifactBytes the typical artifact's size, which sizes the slot table
 * @param maxProcesses process table entries
 * @param lockLease how long the region lock may be held
 * @param verifyEveryLoad whether every load checks the payload checksum ({@code verify: always})
 * @param exclusive open only if no other process has the region open, and keep others out
 * @param expireAfter sliding expiry; {@link Duration#ZERO} means never
 * @param cleanupInterval period of the expiry sweep
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
    long expectedArtifactBytes,
    int maxProcesses,
    Duration lockLease,
    boolean verifyEveryLoad,
    boolean exclusive,
    Duration expireAfter,
    Duration cleanupInterval,
    PrivateFiles access) {
  /** Keys the {@code cxl} provider understands besides {@link LayerSpec#COMMON_KEYS}. */
  public static final Set<String> KEYS = Set.of(
      "path", "device", "size", "reset_metadata", "alignment", "block_size", "slots", "expected_artifact_size",
      "max_processes", "lock_lease_ms", "verify", "exclusive", "kv_expire_time", "cleanup_interval", "mode", "group");

  static final int MIN_SLOTS = 1024;
  static final int MAX_SLOTS = 1 << 24;
  /** The default {@code expected_artifact_size}. */
  static final long DEFAULT_EXPECTED_ARTIFACT_BYTES = 16 << 10;

  public CxlConfig {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(evictionPolicy, "evictionPolicy");
    Objects.requireNonNull(lockLease, "lockLease");
    Objects.requireNonNull(expireAfter, "expireAfter");
    Objects.requireNonNull(cleanupInterval, "cleanupInterval");
    Objects.requireNonNull(access, "access");
  }

  /** Whether {@code path} names a device-dax character device. */
  public boolean isDaxDevice() {
    return path.startsWith("/dev") && path.getFileName() != null && path.getFileName().toString().startsWith("dax");
  }

  /**
   * Slots to format with for a data area of {@code dataBytes}: {@code slots} if set, otherwise
   * one per {@code max(expected_artifact_size, block_size)} bytes, 1024 to 2<sup>24</sup>.
   */
  int slotsFor(long dataBytes) {
    if (slots > 0) {
      return slots;
    }
    long per = Math.max(expectedArtifactBytes, blockBytes);
    return (int) Math.max(MIN_SLOTS, Math.min(MAX_SLOTS, (dataBytes + per - 1) / per));
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
    long expected = spec.bytes("expected_artifact_size", DEFAULT_EXPECTED_ARTIFACT_BYTES);
    if (expected <= 0) {
      throw spec.error("expected_artifact_size", spec.settings().get("expected_artifact_size"),
          "a positive size such as 64KiB (the typical artifact's size, which sizes the slot table)");
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
    ExpirySettings expiry = ExpirySettings.read(spec);
    String verify = spec.string("verify", "once");
    if (!verify.equals("always") && !verify.equals("once")) {
      throw spec.error("verify", verify, "always or once");
    }
    return new CxlConfig(path, capacity, size, spec.bool("reset_metadata", false), policy.name(), (int) alignment,
        (int) block, (int) slots, expected, (int) processes, Duration.ofMillis(leaseMs), verify.equals("always"),
        spec.bool("exclusive", false), expiry.expireAfter(), expiry.cleanupInterval(), FileAccessSettings.read(spec));
  }
}
