package io.stratacache.backend.ssd;

import io.stratacache.config.ExpirySettings;
import io.stratacache.config.FileAccessSettings;
import io.stratacache.core.io.PrivateFiles;
import io.stratacache.spi.EvictionPolicy;
import io.stratacache.spi.LayerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * The SSD tier's settings, read from a {@link LayerSpec}.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code path}</td><td>{@code ~/.cache/stratacache/ssd}</td><td>directory of the
 *       records, created if missing; one layer per directory at a time</td></tr>
 *   <tr><td>{@code capacity}</td><td>required</td><td>bytes of records the tier may hold</td></tr>
 *   <tr><td>{@code fsync}</td><td>{@code batch}</td><td>{@code always}, {@code never} or
 *       {@code batch}: see {@link FsyncPolicy}</td></tr>
 *   <tr><td>{@code fsync_interval_ms}</td><td>1000</td><td>how often {@code batch} forces</td></tr>
 *   <tr><td>{@code eviction_policy}</td><td>{@code lru}</td><td>{@code lru}, {@code fifo} or {@code s3fifo}</td></tr>
 *   <tr><td>{@code kv_expire_time}</td><td>0</td><td>seconds without a store or load after which
 *       an artifact expires (sliding); 0 = never</td></tr>
 *   <tr><td>{@code cleanup_interval}</td><td>60</td><td>seconds between expiry sweeps</td></tr>
 *   <tr><td>{@code alignment}</td><td>64</td><td>payload alignment inside a record (a power of
 *       two, at most 1 MiB): a cache line by default, so that a small record is not padded to a
 *       page; records are mapped, never read with direct I/O, so nothing needs more (a record
 *       written under another setting stays readable)</td></tr>
 *   <tr><td>{@code verify}</td><td>{@code once}</td><td>{@code once}: the first load of each
 *       record version in this process checks the payload's CRC32C (a record stored again is
 *       checked again), later loads trust that check, so a lease costs no pass over the payload (a
 *       record damaged on the medium after its first load, e.g. re-read from a failing disk,
 *       would then be served); {@code always}: every lease checks it on its first read, while
 *       copying for {@code copyTo} (one pass over memory)</td></tr>
 *   <tr><td>{@code mode}</td><td>{@code "0600"}</td><td>mode of the files the tier creates, in
 *       quotes; its directories get the same bits plus search. Anything beyond {@code "0600"}
 *       shares the tier with other users on purpose: see {@link PrivateFiles}</td></tr>
 *   <tr><td>{@code group}</td><td>none</td><td>group given to what the tier creates, for a
 *       directory shared on purpose</td></tr>
 * </table>
 *
 * @param path the directory
 * @param capacityBytes bytes of records the tier may hold
 * @param fsync the durability policy
 * @param fsyncInterval the period of {@link FsyncPolicy#BATCH}
 * @param evictionPolicy name of the eviction policy
 * @param expireAfter sliding expiry; {@link Duration#ZERO} means never
 * @param cleanupInterval period of the expiry sweep
 * @param alignment payload alignment inside records
 * @param verifyEveryLoad whether every load checks the payload checksum ({@code verify: always})
 * @param access how the tier creates and checks its files ({@code mode}, {@code group})
 */
public record SsdConfig(
    Path path,
    long capacityBytes,
    FsyncPolicy fsync,
    Duration fsyncInterval,
    String evictionPolicy,
    Duration expireAfter,
    Duration cleanupInterval,
    int alignment,
    boolean verifyEveryLoad,
    PrivateFiles access) {
  /** Keys the {@code ssd} provider understands besides {@link LayerSpec#COMMON_KEYS}. */
  public static final Set<String> KEYS =
      Set.of("path", "fsync", "fsync_interval_ms", "kv_expire_time", "cleanup_interval", "alignment", "verify", "mode",
          "group");

  /** Payload alignment when {@code alignment} is not set: a cache line. */
  public static final int DEFAULT_ALIGNMENT = 64;

  /** Largest payload alignment accepted. */
  public static final int MAX_ALIGNMENT = 1 << 20;

  public SsdConfig {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(fsync, "fsync");
    Objects.requireNonNull(fsyncInterval, "fsyncInterval");
    Objects.requireNonNull(evictionPolicy, "evictionPolicy");
    Objects.requireNonNull(expireAfter, "expireAfter");
    Objects.requireNonNull(cleanupInterval, "cleanupInterval");
    Objects.requireNonNull(access, "access");
  }

  /** {@code ~/.cache/stratacache/ssd}: where records go when {@code path} is not set. */
  public static Path defaultPath() {
    return Path.of(System.getProperty("user.home"), ".cache", "stratacache", "ssd");
  }

  /**
   * Reads and checks the settings of {@code spec}.
   *
   * @throws io.stratacache.core.ConfigException naming the key, the value and what was expected
   */
  public static SsdConfig from(LayerSpec spec) {
    spec.requireKnownKeys(KEYS);
    Path path = spec.path("path", defaultPath());
    long capacity = spec.capacityBytes();
    FsyncPolicy fsync;
    try {
      fsync = FsyncPolicy.parse(spec.string("fsync", FsyncPolicy.BATCH.settingName()));
    } catch (IllegalArgumentException e) {
      throw spec.error("fsync", spec.settings().get("fsync"), "always, never or batch");
    }
    long intervalMs = spec.integer("fsync_interval_ms", 1000);
    if (intervalMs <= 0) {
      throw spec.error("fsync_interval_ms", spec.settings().get("fsync_interval_ms"), "milliseconds > 0");
    }
    EvictionPolicy policy = spec.evictionPolicy();
    ExpirySettings expiry = ExpirySettings.read(spec);
    long alignment = spec.integer("alignment", DEFAULT_ALIGNMENT);
    if (alignment <= 0 || alignment > MAX_ALIGNMENT || Long.bitCount(alignment) != 1) {
      throw spec.error("alignment", spec.settings().get("alignment"), "a power of two from 1 to " + MAX_ALIGNMENT);
    }
    String verify = spec.string("verify", "once");
    if (!verify.equals("always") && !verify.equals("once")) {
      throw spec.error("verify", verify, "always or once");
    }
    return new SsdConfig(
        path,
        capacity,
        fsync,
        Duration.ofMillis(intervalMs),
        policy.name(),
        expiry.expireAfter(),
        expiry.cleanupInterval(),
        (int) alignment,
        verify.equals("always"),
        FileAccessSettings.read(spec));
  }

  /**
   * Checks, without changing anything, that {@code path} (the tier's {@code path} setting, or the
   * default) is a directory or does not exist yet.
   *
   * @throws io.stratacache.core.ConfigException naming the key, the value and what the path is
   */
  public static void checkPath(LayerSpec spec, Path path) {
    if (Files.exists(path) && !Files.isDirectory(path)) {
      throw spec.error("path", pathValue(spec, path),
          "a directory; " + path + " is " + (Files.isRegularFile(path) ? "a regular file" : "not a directory"));
    }
  }

  /**
   * Checks, without changing anything, that directory {@code path} exists or can be created: the
   * path is not a file, and its nearest existing ancestor is a writable directory.
   *
   * @throws io.stratacache.core.ConfigException naming the key, the value and why it cannot be
   *     created (never a Java exception's class name)
   */
  public static void checkDirectory(LayerSpec spec, Path path) {
    checkPath(spec, path);
    if (Files.isDirectory(path)) {
      return;
    }
    for (Path p = path.toAbsolutePath().normalize().getParent(); p != null; p = p.getParent()) {
      if (Files.exists(p)) {
        if (!Files.isDirectory(p)) {
          throw spec.error("path", pathValue(spec, path), "a directory that can be created; " + p + " is not a directory");
        }
        if (!Files.isWritable(p)) {
          throw spec.error("path", pathValue(spec, path), "a directory that can be created; permission denied on " + p);
        }
        return;
      }
    }
  }

  /** The {@code path} setting as written, or the default path when it is not set. */
  private static Object pathValue(LayerSpec spec, Path path) {
    Object raw = spec.settings().get("path");
    return raw != null ? raw : path.toString();
  }
}
