package io.stratacache.config;

import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Plugins;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A whole configuration, immutable: the tiers (head first), the links between them, the settings
 * of the chain and the write-back worker, the plugins directories, and the sections other modules
 * declare ({@link ConfigSection}, e.g. the KV adapter's {@code kv:} and {@code logging:}). Read from YAML with
 * {@link #load}, {@link #parse}, {@link #defaults} or {@link #resolve}, or made with {@link
 * #builder()}; both are checked the same way, and every error is an {@link
 * io.stratacache.core.ConfigException} that names the source, the key path (e.g. {@code
 * tiers[1].capacity}, with the line for a file), the value found and what was expected.
 *
 * <h2>The YAML form</h2>
 *
 * <pre>{@code
 * plugins: [/opt/stratacache/plugins] # optional: directories of provider jars
 * tiers:                              # head first; at least one
 *   - name: hot                       # unique: letters, digits, '_', '.', '-'
 *     provider: cpu                   # a LayerProvider name
 *     capacity: 1GiB                  # every other key is the provider's (LayerSpec),
 *     high_watermark: 0.95            # but for the engine's Watermarks: evict ahead of demand
 *     low_watermark: 0.85             #   above 95% of capacity, down to 85%
 *   - name: disk
 *     provider: ssd
 *     path: ~/.cache/stratacache/ssd
 *     capacity: 8GiB
 * links:                              # optional; a missing link is write-through
 *   - {from: hot, to: disk, mode: write-back}   # or write-through; adjacent tiers only;
 *                                               # admit_after: n writes an artifact down from its n-th use (default 1)
 * chain: {promote_on_hit: true, demote_on_evict: true}
 * writeback: {flush_interval_ms: 10, retry_backoff_min_ms: 5, retry_backoff_max_ms: 2000,
 *             close_timeout_ms: 30000, max_dirty_bytes: 1GiB, backpressure: block}  # or write-through
 * kv: {chunk_size: 256}                # a section the KV adapter's jar declares
 * }</pre>
 *
 * <p>Every section is optional and every key in it defaults as above ({@code {}} is a valid
 * file). Unknown keys, values of the wrong type and impossible combinations (no tiers, two tiers
 * of one name, a link between tiers that are not adjacent or not there, two links for one pair,
 * durations that are not positive, {@code retry_backoff_min_ms > retry_backoff_max_ms}) are
 * errors. A tier's settings are checked at once against the keys its provider's {@link
 * ConfigSection} declares (unknown keys, types, ranges; {@code capacity} and {@code
 * eviction_policy} for every provider); the provider checks the rest when it opens the tier, and
 * the engine runs every such check for every tier before it opens the first. A relative
 * {@code plugins:} directory is relative to the file's directory.
 *
 * <h2>The original StrataCache's flat keys</h2>
 *
 * <p>Accepted at the top level and mapped onto the general form:
 *
 * <ul>
 *   <li>A section's setting with a {@link Setting#flatName() flat name} (the KV adapter's {@code
 *       chunk_size}, {@code log_stats}, ...): the setting. A setting may be given once: a flat
 *       key together with its general key is an error.
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
 * tier), and is checked like it. Another variable starting with {@code STRATACACHE_} that is a
 * few letters from a setting's (e.g. {@code STRATACACHE_CHUNKSIZE}) is an error naming the closest
 * one, so that a misspelt override never goes unnoticed; one far from every setting's (e.g. {@code
 * STRATACACHE_HOME}, another program's) is ignored.
 *
 */
public final class StrataConfig {
  private final List<TierConfig> tiers;
  private final List<LinkConfig> links;
  private final ChainConfig chain;
  private final WritebackConfig writeback;
  private final Map<String, SectionValues> sections;
  private final List<Path> plugins;
  private final String source;
  private final Function<String, Origin> origins;

  StrataConfig(
      List<TierConfig> tiers,
      List<LinkConfig> links,
      ChainConfig chain,
      WritebackConfig writeback,
      Map<String, SectionValues> sections,
      List<Path> plugins,
      String source,
      Function<String, Origin> origins) {
    this.tiers = List.copyOf(tiers);
    this.links = List.copyOf(links);
    this.chain = Objects.requireNonNull(chain, "chain");
    this.writeback = Objects.requireNonNull(writeback, "writeback");
    this.sections = Collections.unmodifiableMap(new TreeMap<>(sections));
    this.plugins = List.copyOf(plugins);
    this.source = Objects.requireNonNull(source, "source");
    this.origins = Objects.requireNonNull(origins, "origins");
  }

  /** The chain, head first. */
  public List<TierConfig> tiers() {
    return tiers;
  }

  /** One link per adjacent pair of tiers, in order. */
  public List<LinkConfig> links() {
    return links;
  }

  /** Promotion and demotion. */
  public ChainConfig chain() {
    return chain;
  }

  /** The write-back worker. */
  public WritebackConfig writeback() {
    return writeback;
  }

  /** The directories of {@code plugins:}, whose jars are searched for providers and sections. */
  public List<Path> plugins() {
    return plugins;
  }

  /** The values of every {@link ConfigSection} found, by section name. */
  public Map<String, SectionValues> sections() {
    return sections;
  }

  /**
   * The values of section {@code name}, defaults included.
   *
   * @throws IllegalArgumentException if no {@link ConfigSection} of that name was found when the
   *     configuration was read (its module's jar is missing)
   */
  public SectionValues section(String name) {
    SectionValues v = sections.get(Objects.requireNonNull(name, "name"));
    if (v == null) {
      throw new IllegalArgumentException("section \"" + name + "\" (expected: one of the sections found, " + sections.keySet()
          + "; a section is found when its module's jar is on the class path or in a plugins directory)");
    }
    return v;
  }

  /** Where it came from, for messages: a file name, the packaged default's name, or {@code builder}. */
  public String source() {
    return source;
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
   * The spec that opens tier {@code index}: errors it raises name the file, the line of the key
   * and the key path {@code tiers[index].key}.
   */
  public LayerSpec spec(int index) {
    Objects.checkIndex(index, tiers.size());
    return spec(index, tiers.get(index), source, origins);
  }

  /** Where key path {@code path} (e.g. {@code tiers[1].provider}) was set: {@code source:line: path}. */
  public String where(String path) {
    return origins.apply(Objects.requireNonNull(path, "path")).where();
  }

  /**
   * Where the value at key path {@code path} came from, for {@code stratacache config check}: the
   * file and line, or the environment variable, that set it ({@code source:line: key}), or {@code
   * default} when nothing set it and it kept its default.
   */
  public String origin(String path) {
    Origin o = origins.apply(Objects.requireNonNull(path, "path"));
    boolean unset = o.line() == 0 && o.source().equals(source) && o.key().equals(path) && !source.equals("builder");
    return unset ? "default" : o.where();
  }

  static LayerSpec spec(int index, TierConfig t, String source, Function<String, Origin> origins) {
    String path = "tiers[" + index + "]";
    Map<String, Integer> lines = new HashMap<>();
    lines.put("", origins.apply(path).line());
    Map<String, Object> settings = t.providerSettings();
    for (String key : settings.keySet()) {
      lines.put(key, origins.apply(path + "." + key).line());
    }
    return new LayerSpec(t.name(), t.provider(), settings, source, path, lines);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StrataConfig c && c.tiers.equals(tiers) && c.links.equals(links) && c.chain.equals(chain)
        && c.writeback.equals(writeback) && c.sections.equals(sections) && c.plugins.equals(plugins)
        && c.source.equals(source);
  }

  @Override
  public int hashCode() {
    return Objects.hash(tiers, links, chain, writeback, sections, plugins, source);
  }

  @Override
  public String toString() {
    return "StrataConfig[source=" + source + ", tiers=" + tiers + ", links=" + links + ", chain=" + chain + ", writeback="
        + writeback + ", sections=" + sections.values() + ", plugins=" + plugins + "]";
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
   * Reads the YAML file {@code file}, then applies the {@code STRATACACHE_<KEY>} overrides in
   * {@code env} (as {@link #resolve()} does for the file it finds). Messages name the file by its
   * absolute path.
   *
   * @throws io.stratacache.core.ConfigException if the file cannot be read, or the file or an
   *     override is not valid
   */
  public static StrataConfig load(Path file, Map<String, String> env) {
    return ConfigLoader.load(Objects.requireNonNull(file, "file"), Objects.requireNonNull(env, "env"));
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
   * their defaults. A section's values are given as YAML would give them ({@link #section}). {@link #build()} runs the same checks as a file, naming the source {@code
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
    private final Set<String> opened = new HashSet<>();
    private final List<LinkConfig> links = new ArrayList<>();
    private final Map<String, Map<String, ?>> sections = new LinkedHashMap<>();
    private ChainConfig chain;
    private WritebackConfig writeback;
    private List<Path> plugins;
    private ClassLoader classLoader;
    private String source;

    private Builder() {}

    /** Adds a tier below those added before; {@code settings} are the provider's. */
    public Builder tier(String name, String provider, Map<String, ?> settings) {
      Objects.requireNonNull(settings, "settings");
      tiers.add(new TierConfig(name, provider, new LinkedHashMap<>(settings)));
      return this;
    }

    /**
     * Adds a tier whose layer the application has already opened (its provider checked its
     * settings then), so its provider's settings are not checked again.
     */
    public Builder openedTier(String name, String provider) {
      tier(name, provider, Map.of());
      opened.add(name);
      return this;
    }

    /** Adds the link from tier {@code from} to the tier directly below it, {@code to}. */
    public Builder link(String from, String to, LinkMode mode) {
      links.add(new LinkConfig(from, to, mode));
      return this;
    }

    /**
     * Adds the link from tier {@code from} to the tier directly below it, {@code to}, writing an
     * artifact down from its {@code admitAfter}-th use on (see {@link LinkConfig#admitAfter()}).
     *
     * @throws IllegalArgumentException if {@code admitAfter} is not from 1 to {@value LinkConfig#MAX_ADMIT_AFTER}
     */
    public Builder link(String from, String to, LinkMode mode, int admitAfter) {
      links.add(new LinkConfig(from, to, mode, admitAfter));
      return this;
    }

    /** Promotion and demotion; default {@link ChainConfig#DEFAULTS}. */
    public Builder chain(ChainConfig chain) {
      this.chain = once("chain", this.chain, chain);
      return this;
    }

    /** The write-back worker's settings; default {@link WritebackConfig#DEFAULTS}. */
    public Builder writeback(WritebackConfig writeback) {
      this.writeback = once("writeback", this.writeback, writeback);
      return this;
    }

    /**
     * The values of section {@code name} (e.g. {@code kv}), as YAML would give them: keys of the
     * section's {@link ConfigSection} with booleans, numbers, strings such as {@code "1GiB"}.
     * Unset keys keep their defaults; {@link #build()} checks them like a file.
     */
    public Builder section(String name, Map<String, ?> values) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(values, "values");
      if (sections.containsKey(name)) {
        throw new IllegalStateException("section " + name + " was already set to " + sections.get(name));
      }
      sections.put(name, new LinkedHashMap<>(values));
      return this;
    }

    /** Directories whose jars are searched for providers and sections, as {@code plugins:}. */
    public Builder plugins(List<Path> directories) {
      Objects.requireNonNull(directories, "directories");
      for (int i = 0; i < directories.size(); i++) {
        Objects.requireNonNull(directories.get(i), "directories[" + i + "]");
      }
      this.plugins = once("plugins", this.plugins, List.copyOf(directories));
      return this;
    }

    /** A class loader also searched for sections (after the class path and the plugins). */
    public Builder classLoader(ClassLoader loader) {
      this.classLoader = once("classLoader", this.classLoader, loader);
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
      List<Path> dirs = plugins == null ? List.of() : plugins;
      ConfigSections found = ConfigSections.in(Plugins.of(dirs, classLoader));
      Map<String, Map<String, Object>> values = new TreeMap<>();
      for (String name : sections.keySet()) {
        if (!found.sections().containsKey(name)) {
          throw Origin.of(src, name).error(sections.get(name), "one of the sections found, " + found.sections().keySet()
              + " (a section is found when its module's jar is on the class path or in a plugins directory)");
        }
      }
      found.sections().forEach((name, section) -> {
        Map<String, ?> given = sections.getOrDefault(name, Map.of());
        Map<String, Object> m = new LinkedHashMap<>();
        Set<String> keys = new TreeSet<>();
        section.settings().forEach(s -> keys.add(s.key()));
        for (String key : given.keySet()) {
          if (!keys.contains(key)) {
            throw Origin.of(src, name + "." + key).error(given.get(key), "one of the keys " + keys + " of " + name);
          }
        }
        for (Setting<?> s : section.settings()) {
          Object raw = given.get(s.key());
          m.put(s.key(), raw == null ? s.defaultValue() : s.fromYaml(asYaml(raw), Origin.of(src, name + "." + s.key())));
        }
        values.put(name, m);
      });
      return ConfigCheck.check(
          tiers,
          links,
          LinkMode.WRITE_THROUGH,
          chain == null ? ChainConfig.DEFAULTS : chain,
          writeback == null ? WritebackConfig.DEFAULTS : writeback,
          values,
          dirs,
          found,
          src,
          path -> Origin.of(src, path),
          Set.copyOf(opened));
    }

    /** A value as the YAML reader types it: whole numbers as {@link Long}, others as {@link Double}. */
    private static Object asYaml(Object v) {
      if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
        return ((Number) v).longValue();
      }
      if (v instanceof Float f) {
        return f.doubleValue();
      }
      return v;
    }
  }
}
