package io.stratacache.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A whole configuration, immutable: the tiers (head first), the links between them, and the
 * settings of the chain, the write-back worker, the KV adapter and logging. Read from YAML with
 * {@link #load}, {@link #parse}, {@link #defaults} or {@link #resolve}, or made with {@link
 * #builder()}; both are checked the same way, and every error is an {@link
 * io.stratacache.core.ConfigException} that names the source, the key path (e.g. {@code
 * tiers[1].capacity}, with the line for a file), the value found and what was expected.
 *
 * <h2>The YAML form</h2>
 *
 * <pre>{@code
 * tiers:                              # head first; at least one
 *   - name: hot                       # unique: letters, digits, '_', '.', '-'
 *     provider: cpu                   # a LayerProvider name
 *     capacity: 1GiB                  # every other key is the provider's (LayerSpec)
 *   - name: disk
 *     provider: ssd
 *     path: ~/.cache/stratacache/ssd
 *     capacity: 8GiB
 * links:                              # optional; a missing link is write-through
 *   - {from: hot, to: disk, mode: write-back}   # or write-through; adjacent tiers only
 * chain: {promote_on_hit: true, demote_on_evict: true}
 * writeback: {flush_interval_ms: 10, retry_backoff_min_ms: 5, retry_backoff_max_ms: 2000,
 *             close_timeout_ms: 30000, max_dirty_bytes: 1GiB, backpressure: block}  # or write-through
 * kv: {chunk_size: 256, bundle_layers: true, save_partial_chunks: true,
 *      tensor_codec: stable, tensor_header_in_payload: false}
 * logging: {log_stats: false, log_every: 100, log_min_interval_s: 10, debug: false}
 * telemetry: {export: none}           # or log
 * }</pre>
 *
 * <p>Every section is optional and every key in it defaults as above ({@code {}} is a valid
 * file). Unknown keys, values of the wrong type and impossible combinations (no tiers, two tiers
 * of one name, a link between tiers that are not adjacent or not there, two links for one pair,
 * {@code chunk_size <= 0}, durations that are not positive, {@code retry_backoff_min_ms >
 * retry_backoff_max_ms}) are errors. Tier settings are checked by the provider when it opens the
 * tier, except {@code capacity} (a positive size) and {@code eviction_policy}, checked at once.
 *
 * <h2>The original StrataCache's flat keys</h2>
 *
 * <p>Accepted at the top level and mapped onto the general form:
 *
 * <ul>
 *   <li>{@code chunk_size}, {@code bundle_layers}, {@code save_partial_chunks}, {@code
 *       tensor_codec}, {@code tensor_header_in_payload}: the {@code kv} keys of the same names;
 *       {@code log_stats}, {@code log_every}, {@code log_min_interval_s}, {@code debug}: the
 *       {@code logging} keys; {@code telemetry.export}: {@code telemetry: {export: ...}}. A
 *       setting may be given once: a flat key together with its general key is an error.
 *   <li>{@code writeback: true|false} (a boolean where the section is a mapping): the mode of
 *       every link. It is an error if a link in {@code links:} says otherwise.
 *   <li>Without {@code tiers:}, the tiers are one cpu tier {@code hot} of {@code cpu_capacity_mb}
 *       MiB (default 1GiB), then, with {@code use_cxl: true}, a tier {@code cxl} of provider
 *       {@code cxl} whose {@code device} and {@code reset_metadata} are {@code cxl_dax_device}
 *       and {@code cxl_reset_metadata}.
 *   <li>With {@code tiers:}, {@code cpu_capacity_mb} sets the capacity of the first cpu tier,
 *       and {@code cxl_dax_device} / {@code cxl_reset_metadata} settings of the first cxl tier;
 *       it is an error if that tier is missing or sets the key itself. {@code use_cxl: true}
 *       inserts tier {@code cxl} directly below the first cpu tier unless a cxl tier exists (an
 *       error if a link given joins the two tiers it would separate); {@code use_cxl: false}
 *       with a cxl tier is an error.
 * </ul>
 *
 * <h2>Finding the file and overriding keys</h2>
 *
 * <p>{@link #resolve()} reads the file named by the system property {@code stratacache.config},
 * else by the environment variable {@code STRATACACHE_CONFIG}, else the packaged default ({@link
 * #defaults()}: one cpu tier {@code hot} of 1GiB). Then environment variables override single
 * keys: {@code STRATACACHE_} followed by a flat key or a {@code section_key} path in upper case,
 * e.g. {@code STRATACACHE_CPU_CAPACITY_MB=512}, {@code STRATACACHE_CHUNK_SIZE=16}, {@code
 * STRATACACHE_WRITEBACK=true}, {@code STRATACACHE_WRITEBACK_FLUSH_INTERVAL_MS=5}. An override
 * replaces what the file says (including the mode of its links and the capacity of its cpu
 * tier), and is checked like it. Any other variable starting with {@code STRATACACHE_} is an
 * error, so that a misspelt override never goes unnoticed.
 *
 * @param tiers the chain, head first
 * @param links one link per adjacent pair of tiers, in order
 * @param chain promotion and demotion
 * @param writeback the write-back worker
 * @param kv the KV adapter's settings
 * @param logging statistics logging
 * @param source where it came from, for messages (a file name, the packaged default's resource
 *     name, or {@code builder})
 */
public record StrataConfig(
    List<TierConfig> tiers,
    List<LinkConfig> links,
    ChainConfig chain,
    WritebackConfig writeback,
    KvConfig kv,
    LoggingConfig logging,
    String source) {
  public StrataConfig {
    tiers = List.copyOf(tiers);
    links = List.copyOf(links);
    Objects.requireNonNull(chain, "chain");
    Objects.requireNonNull(writeback, "writeback");
    Objects.requireNonNull(kv, "kv");
    Objects.requireNonNull(logging, "logging");
    Objects.requireNonNull(source, "source");
  }

  /** The link below {@code tier}, or {@code null} for the last tier. */
  public LinkConfig linkBelow(String tier) {
    for (LinkConfig l : links) {
      if (l.from().equals(tier)) {
        return l;
      }
    }
    return null;
  }

  /**
   * Reads the YAML file {@code file}; no environment overrides apply.
   *
   * @throws io.stratacache.core.ConfigException if the file cannot be read or is not a valid
   *     configuration
   */
  public static StrataConfig load(Path file) {
    return ConfigLoader.load(file);
  }

  /**
   * Reads YAML {@code yaml}; {@code source} names it in messages. No environment overrides apply.
   *
   * @throws io.stratacache.core.ConfigException if it is not a valid configuration
   */
  public static StrataConfig parse(String yaml, String source) {
    return ConfigLoader.parse(yaml, source, Map.of());
  }

  /** The packaged default: one cpu tier {@code hot} of 1GiB, every setting at its default. */
  public static StrataConfig defaults() {
    return ConfigLoader.defaults(Map.of());
  }

  /**
   * The configuration this process runs with: the file named by {@code -Dstratacache.config},
   * else by {@code STRATACACHE_CONFIG}, else the packaged default, with {@code STRATACACHE_<KEY>}
   * overrides from the environment.
   *
   * @throws io.stratacache.core.ConfigException if the file cannot be read, or the file or an
   *     override is not valid
   */
  public static StrataConfig resolve() {
    return resolve(System.getenv());
  }

  /** As {@link #resolve()}, with {@code env} in place of the process environment. */
  public static StrataConfig resolve(Map<String, String> env) {
    return ConfigLoader.resolve(env);
  }

  /**
   * As {@link #resolve()}, but an application's own embedded default ({@code defaultYaml}, named
   * {@code defaultSource} in messages) replaces the packaged one when neither {@code
   * -Dstratacache.config} nor {@code STRATACACHE_CONFIG} names a file. Environment overrides apply
   * either way.
   */
  public static StrataConfig resolve(String defaultYaml, String defaultSource) {
    return ConfigLoader.resolve(System.getenv(), java.util.Objects.requireNonNull(defaultYaml, "defaultYaml"), defaultSource);
  }

  /** A builder; see {@link Builder}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builds a {@link StrataConfig} in code. Tiers and links are added in order; each other setting
   * may be set once ({@link IllegalStateException} names the earlier value), and unset ones keep
   * their defaults. {@link #build()} runs the same checks as a file, naming the source {@code
   * builder} (or the one given) and the key path in the general form.
   *
   * <pre>{@code
   * StrataConfig config = StrataConfig.builder()
   *     .tier("hot", "cpu", Map.of("capacity", "1GiB"))
   *     .tier("disk", "ssd", Map.of("path", "/var/cache/strata", "capacity", "8GiB"))
   *     .link("hot", "disk", LinkMode.WRITE_BACK)
   *     .build();
   * }</pre>
   */
  public static final class Builder {
    private final List<TierConfig> tiers = new ArrayList<>();
    private final List<LinkConfig> links = new ArrayList<>();
    private ChainConfig chain;
    private WritebackConfig writeback;
    private KvConfig kv;
    private LoggingConfig logging;
    private String source;

    private Builder() {}

    /** Adds a tier below those added before; {@code settings} are the provider's. */
    public Builder tier(String name, String provider, Map<String, ?> settings) {
      Objects.requireNonNull(settings, "settings");
      tiers.add(new TierConfig(name, provider, new LinkedHashMap<>(settings)));
      return this;
    }

    /** Adds the link from tier {@code from} to the tier directly below it, {@code to}. */
    public Builder link(String from, String to, LinkMode mode) {
      links.add(new LinkConfig(from, to, mode));
      return this;
    }

    public Builder chain(ChainConfig chain) {
      this.chain = once("chain", this.chain, chain);
      return this;
    }

    public Builder writeback(WritebackConfig writeback) {
      this.writeback = once("writeback", this.writeback, writeback);
      return this;
    }

    public Builder kv(KvConfig kv) {
      this.kv = once("kv", this.kv, kv);
      return this;
    }

    public Builder logging(LoggingConfig logging) {
      this.logging = once("logging", this.logging, logging);
      return this;
    }

    /** Names the configuration in messages; default {@code builder}. */
    public Builder source(String source) {
      this.source = once("source", this.source, source);
      return this;
    }

    private static <T> T once(String what, T current, T value) {
      Objects.requireNonNull(value, what);
      if (current != null) {
        throw new IllegalStateException(what + " was already set to " + current);
      }
      return value;
    }

    /**
     * Checks the settings and builds the configuration.
     *
     * @throws io.stratacache.core.ConfigException as for a file
     */
    public StrataConfig build() {
      String src = source == null ? "builder" : source;
      return ConfigCheck.check(
          tiers,
          links,
          LinkMode.WRITE_THROUGH,
          chain == null ? ChainConfig.DEFAULTS : chain,
          writeback == null ? WritebackConfig.DEFAULTS : writeback,
          kv == null ? KvConfig.DEFAULTS : kv,
          logging == null ? LoggingConfig.DEFAULTS : logging,
          src,
          path -> Origin.of(src, path));
    }
  }
}
