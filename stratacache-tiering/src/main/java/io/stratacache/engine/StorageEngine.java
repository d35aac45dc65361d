package io.stratacache.engine;

import io.stratacache.config.ChainConfig;
import io.stratacache.config.ConfigSections;
import io.stratacache.config.LinkConfig;
import io.stratacache.config.LinkMode;
import io.stratacache.config.StrataConfig;
import io.stratacache.config.TierConfig;
import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactNotFoundException;
import io.stratacache.core.ConfigException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Plugins;
import io.stratacache.spi.ProbeResult;
import io.stratacache.spi.Reservation;
import io.stratacache.tiering.TierChain;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The storage plane's API: stores, loads and deletes artifacts over an ordered chain of tiers.
 * Thread-safe. Its own calls use the whole chain (store at the head and down the links, load
 * top-down with promotion, delete everywhere); {@link #tier(String)} is a view that acts on one
 * tier, and {@link #admin()} holds eviction observers and inspection.
 *
 * <p>Loads return a {@link Lease}: close it when done (try-with-resources); until then its bytes
 * cannot be evicted or reused. {@link #loadInto} copies once into the caller's memory instead.
 *
 * <p>Every method (of the engine, its {@link Tier} views, its {@link EngineAdmin} and its builder)
 * refuses a null argument with a {@link NullPointerException} whose message starts with the
 * parameter's name, before it takes a lock or touches a tier.
 */
public final class StorageEngine implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(StorageEngine.class.getName());
  private final TierChain chain;
  private final StrataConfig config;
  private final List<Tier> views;
  private final EngineAdmin admin;

  private StorageEngine(TierChain chain, StrataConfig config) {
    this.chain = chain;
    this.config = config;
    List<Tier> v = new ArrayList<>(chain.size());
    for (int i = 0; i < chain.size(); i++) {
      v.add(new Tier(chain, i, chain.tier(i).name(), chain.tier(i).provider()));
    }
    this.views = List.copyOf(v);
    this.admin = new EngineAdmin(chain);
  }

  /** {@code value}, or a NullPointerException naming {@code parameter} and what was expected. */
  static <T> T notNull(T value, String parameter) {
    if (value == null) {
      throw new NullPointerException(parameter + ": null (expected: a value)");
    }
    return value;
  }

  /**
   * Opens every tier of {@code config} with its provider and wires the chain. Providers are looked
   * for on the class path and in the jars of {@code config}'s plugins directories; every tier's
   * provider is found, probed and its settings checked before the first tier opens.
   *
   * @throws ConfigException if a provider is unknown or a tier's settings are invalid, naming the
   *     file, line, key, value and what was expected
   * @throws LayerUnavailableException if a tier's medium cannot be used here
   */
  public static StorageEngine open(StrataConfig config) {
    return open(notNull(config, "config"), Map.of(), null);
  }

  /**
   * Opens the tiers of {@code config} that {@code given} does not already hold (by tier name) and
   * wires the chain; {@code loader} (may be {@code null}) is searched for providers after the class
   * path and the plugins directories. The engine owns every layer: if opening fails, all of them,
   * given ones included, are closed.
   */
  private static StorageEngine open(StrataConfig config, Map<String, MemoryLayer> given, ClassLoader loader) {
    List<MemoryLayer> layers = new ArrayList<>();
    List<Integer> kept = new ArrayList<>();
    boolean success = false;
    try {
      List<LayerProvider> providers = providersFor(config, given, loader);
      for (int i = 0; i < providers.size(); i++) {
        MemoryLayer layer = given.get(config.tiers().get(i).name());
        if (layer == null && providers.get(i) == LEFT_OUT) {
          continue;
        }
        if (layer == null) {
          try {
            layer = providers.get(i).open(config.spec(i));
          } catch (LayerUnavailableException e) {
            if (config.spec(i).optional()) {
              leaveOut(config, i, "cannot open: " + e.getMessage());
              continue;
            }
            throw new LayerUnavailableException(config.where("tiers[" + i + "]") + " (provider "
                + config.tiers().get(i).provider() + ") cannot open: " + e.getMessage(), e);
          }
        }
        layers.add(layer);
        kept.add(i);
      }
      if (layers.isEmpty()) {
        throw new LayerUnavailableException(config.source() + ": every tier is optional and none could start (expected:"
            + " at least one tier that starts here)");
      }
      StorageEngine engine = assemble(config, layers, kept);
      success = true;
      return engine;
    } finally {
      if (!success) {
        layers.forEach(StorageEngine::closeQuietly);
        given.values().stream().filter(l -> !layers.contains(l)).forEach(StorageEngine::closeQuietly);
      }
    }
  }

  /**
   * The provider of each tier ({@code null} for a given layer), each found, probed and its tier's
   * settings checked, before anything opens.
   */
  private static List<LayerProvider> providersFor(StrataConfig config, Map<String, MemoryLayer> given, ClassLoader loader) {
    Plugins plugins = Plugins.of(config.plugins(), loader);
    LayerProviders found = LayerProviders.in(plugins);
    ConfigSections sections = ConfigSections.in(plugins);
    List<LayerProvider> providers = new ArrayList<>();
    for (int i = 0; i < config.tiers().size(); i++) {
      TierConfig t = config.tiers().get(i);
      if (given.containsKey(t.name())) {
        providers.add(null);
        continue;
      }
      LayerProvider provider = found.providers().get(t.provider());
      if (provider == null) {
        throw new ConfigException(config.where("tiers[" + i + "].provider") + " = \"" + t.provider() + "\" ("
            + found.missing(t.provider()) + ")");
      }
      ProbeResult probe = provider.probe();
      if (!probe.available() && config.spec(i).optional()) {
        sections.checkTier(config.spec(i));
        leaveOut(config, i, "is unavailable: " + probe.reason());
        providers.add(LEFT_OUT);
        continue;
      }
      if (!probe.available()) {
        throw new LayerUnavailableException(config.where("tiers[" + i + "]") + " (tier '" + t.name() + "', provider "
            + t.provider() + ") is unavailable: " + probe.reason());
      }
      sections.checkTier(config.spec(i));
      providers.add(provider);
    }
    return providers;
  }

  /**
   * Opens the engine described by the YAML file {@code yaml}.
   *
   * @throws ConfigException naming the file, the key and what was expected
   */
  public static StorageEngine fromFile(Path yaml) {
    return open(StrataConfig.load(notNull(yaml, "yaml")));
  }

  /**
   * Opens the engine from {@code -Dstratacache.config}, else {@code STRATACACHE_CONFIG}, else the
   * packaged default (with {@code STRATACACHE_<KEY>} overrides applied).
   */
  public static StorageEngine fromDefaults() {
    return open(StrataConfig.resolve());
  }

  /** A builder for an engine configured in code. */
  public static Builder builder() {
    return new Builder();
  }

  /** The provider of a tier left out: optional and unavailable here. */
  private static final LayerProvider LEFT_OUT = new LayerProvider() {
    @Override
    public String name() {
      return "left out";
    }

    @Override
    public ProbeResult probe() {
      return ProbeResult.unavailable("left out");
    }

    @Override
    public MemoryLayer open(io.stratacache.spi.LayerSpec spec) {
      throw new LayerUnavailableException("tier '" + spec.tier() + "' was left out");
    }
  };

  /** Says, in one line, that optional tier {@code i} is left out and why. */
  private static void leaveOut(StrataConfig config, int i, String why) {
    TierConfig t = config.tiers().get(i);
    LOG.log(System.Logger.Level.INFO, "optional tier '" + t.name() + "' (provider " + t.provider() + ", "
        + config.where("tiers[" + i + "]") + ") left out: " + why);
  }

  /**
   * The chain of {@code layers}, the tiers of {@code config} at indexes {@code kept}. Between two
   * kept tiers that an optional tier left out used to separate, the link is the upper tier's.
   */
  private static StorageEngine assemble(StrataConfig config, List<MemoryLayer> layers, List<Integer> kept) {
    List<TierChain.Tier> tiers = new ArrayList<>();
    List<LinkMode> links = new ArrayList<>();
    List<Integer> admitAfter = new ArrayList<>();
    for (int k = 0; k < layers.size(); k++) {
      int i = kept.get(k);
      TierConfig t = config.tiers().get(i);
      tiers.add(new TierChain.Tier(t.name(), t.provider(), layers.get(k), t.watermarks()));
      if (k + 1 < layers.size()) {
        LinkConfig link = config.linkBelow(t.name());
        if (kept.get(k + 1) != i + 1) {
          links.add(link == null ? LinkMode.WRITE_THROUGH : link.mode());
          admitAfter.add(link == null ? 1 : link.admitAfter());
          continue;
        }
        if (link != null && !link.to().equals(config.tiers().get(i + 1).name())) {
          throw new ConfigException(
              config.source() + ": link " + link.from() + " -> " + link.to() + " (expected: a link from a tier to the tier directly below it, "
                  + t.name() + " -> " + config.tiers().get(i + 1).name() + ")");
        }
        links.add(link == null ? LinkMode.WRITE_THROUGH : link.mode());
        admitAfter.add(link == null ? 1 : link.admitAfter());
      }
    }
    return new StorageEngine(new TierChain(tiers, links, admitAfter, config.chain(), config.writeback()), config);
  }

  private static void closeQuietly(MemoryLayer layer) {
    try {
      layer.close();
    } catch (RuntimeException ignored) {
      // already failing; the first error is the one reported
    }
  }

  // ---------------------------------------------------------------- tiers

  /** Tier names, head first. */
  public List<String> tiers() {
    List<String> names = new ArrayList<>(chain.size());
    for (int i = 0; i < chain.size(); i++) {
      names.add(chain.tier(i).name());
    }
    return names;
  }

  /**
   * A view of the tier called {@code name}: its calls act on that tier only (see {@link Tier}).
   *
   * @throws IllegalArgumentException if there is no such tier, naming the tiers there are
   */
  public Tier tier(String name) {
    return views.get(index(name));
  }

  /** Eviction observers and inspection: where an artifact lives, what each tier holds. */
  public EngineAdmin admin() {
    return admin;
  }

  /** The configuration the engine was opened with. */
  public StrataConfig config() {
    return config;
  }

  private int index(String name) {
    int i = chain.indexOf(notNull(name, "name"));
    if (i < 0) {
      throw new IllegalArgumentException("tier \"" + name + "\" (expected one of " + tiers() + ")");
    }
    return i;
  }

  // ---------------------------------------------------------------- store

  /** Stores a copy of {@code payload} in the head tier, then down the links. */
  public void store(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    notNull(id, "id");
    notNull(meta, "meta");
    notNull(payload, "payload");
    chain.storeChain(0, id, meta, payload);
  }

  /**
   * Space in the head tier for an artifact of {@code size} bytes; fill {@link
   * Reservation#segment()}, then {@link Reservation#commit()} stores it as {@link #store} would,
   * with one copy fewer.
   */
  public Reservation reserve(ArtifactId id, ArtifactMeta meta, long size) {
    notNull(id, "id");
    notNull(meta, "meta");
    return chain.reserve(0, id, meta, size);
  }

  // ---------------------------------------------------------------- load

  /**
   * Loads {@code id} top-down, promoting a lower-tier hit.
   *
   * @throws ArtifactNotFoundException if no tier holds it
   */
  public Lease load(ArtifactId id) {
    Lease l = chain.loadChain(notNull(id, "id"));
    if (l == null) {
      throw new ArtifactNotFoundException(id, "tiers " + tiers());
    }
    return l;
  }

  /** Loads {@code id} top-down, or returns {@code null} if no tier holds it. */
  public Lease tryLoad(ArtifactId id) {
    return chain.loadChain(notNull(id, "id"));
  }

  /**
   * Leases those of {@code ids} some tier holds, in the order given. An id given more than once
   * is loaded once: the map holds one lease per distinct id, at its first position.
   */
  public Map<ArtifactId, Lease> loadAll(List<ArtifactId> ids) {
    notNull(ids, "ids");
    for (int i = 0; i < ids.size(); i++) {
      notNull(ids.get(i), "ids[" + i + "]");
    }
    Map<ArtifactId, Lease> out = new LinkedHashMap<>();
    try {
      for (ArtifactId id : ids) {
        if (out.containsKey(id)) {
          continue;
        }
        Lease l = chain.loadChain(id);
        if (l != null) {
          out.put(id, l);
        }
      }
      return out;
    } catch (RuntimeException e) {
      out.values().forEach(Lease::close);
      throw e;
    }
  }

  /**
   * Copies the payload of {@code id} into {@code dst} at offset 0 (one copy) and returns its size.
   *
   * @throws ArtifactNotFoundException if no tier holds it
   * @throws IllegalArgumentException if {@code dst} is smaller than the payload (nothing copied)
   */
  public long loadInto(ArtifactId id, MemorySegment dst) {
    notNull(id, "id");
    notNull(dst, "dst");
    try (Lease l = load(id)) {
      long size = l.size();
      if (dst.byteSize() < size) {
        throw new IllegalArgumentException(
            "destination of " + dst.byteSize() + " bytes for " + id + " (expected: at least " + size + " bytes)");
      }
      l.copyTo(dst.asSlice(0, size)); // the tier's own copy: one pass, verifying as it copies where it verifies
      return size;
    }
  }

  // ---------------------------------------------------------------- contains, delete

  /** Whether some tier holds {@code id}. */
  public boolean contains(ArtifactId id) {
    return chain.locate(notNull(id, "id")) >= 0;
  }

  /** Removes {@code id} from every tier, with its dirty marks. Returns whether any tier held it. */
  public boolean delete(ArtifactId id) {
    return chain.deleteAll(notNull(id, "id"));
  }

  // ---------------------------------------------------------------- flush, stats, close

  /**
   * Writes down every link what is dirty when called, retrying failures, until none of it is
   * dirty (bounded by {@code writeback.close_timeout_ms}); artifacts stored meanwhile are left to
   * the write-back worker.
   *
   * @throws io.stratacache.core.StrataCacheException naming those of them still dirty at the
   *     deadline
   */
  public void flush() {
    chain.flush();
  }

  /** A snapshot of the counters. */
  public EngineStats stats() {
    List<LayerStats> layers = new ArrayList<>();
    long dirtyArtifacts = 0;
    long dirtyBytes = 0;
    for (int i = 0; i < chain.size(); i++) {
      layers.add(chain.tier(i).layer().stats());
      dirtyArtifacts += chain.dirtyCount(i);
      dirtyBytes += chain.dirtyBytes(i);
    }
    TierChain.Counters c = chain.counters();
    List<Long> hits = new ArrayList<>();
    for (long h : c.hitsPerTier()) {
      hits.add(h);
    }
    return new EngineStats(
        layers, hits, c.misses(), c.promotions(), c.demotions(), c.evictionWrites(), c.refusedEvictions(),
        dirtyArtifacts, dirtyBytes, c.flushed(), c.flushErrors(), c.failedPromotions(), c.skippedUnavailable(),
        c.aheadEvictions(), c.deferredAdmissions(), c.droppedUnadmitted());
  }

  /**
   * Flushes (bounded), then closes every tier. Idempotent.
   *
   * @throws io.stratacache.core.StrataCacheException naming what could not be flushed
   */
  @Override
  public void close() {
    chain.close();
  }

  /**
   * Builds an engine in code. The configuration is checked by {@link StrataConfig.Builder} (each
   * setting once, the same checks as a file) before any tier is opened; links default to
   * write-through.
   */
  public static final class Builder {
    private final StrataConfig.Builder config = StrataConfig.builder();
    private final Map<String, MemoryLayer> opened = new LinkedHashMap<>();
    private ClassLoader classLoader;
    private Boolean promoteOnHit;
    private Boolean demoteOnEvict;

    private Builder() {}

    /** Adds a tier below those added so far, opened by {@code provider} with {@code settings}. */
    public Builder tier(String name, String provider, Map<String, ?> settings) {
      notNull(name, "name");
      notNull(provider, "provider");
      notNull(settings, "settings");
      config.tier(name, provider, settings);
      return this;
    }

    /**
     * Adds an already opened layer below those added so far (the engine takes ownership and
     * closes it); its tier name is {@link MemoryLayer#name()}.
     */
    public Builder tier(MemoryLayer layer, String provider) {
      notNull(layer, "layer");
      notNull(provider, "provider");
      if (opened.putIfAbsent(layer.name(), layer) != null) {
        throw new ConfigException("builder: tier \"" + layer.name() + "\" was already added (expected: unique tier names)");
      }
      config.openedTier(layer.name(), provider);
      return this;
    }

    /** Sets the link between a tier and the tier directly below it. */
    public Builder link(String from, String to, LinkMode mode) {
      notNull(from, "from");
      notNull(to, "to");
      notNull(mode, "mode");
      config.link(from, to, mode);
      return this;
    }

    /**
     * Sets the link between a tier and the tier directly below it, writing an artifact down from
     * its {@code admitAfter}-th use on ({@link io.stratacache.config.LinkConfig#admitAfter()}).
     *
     * @throws IllegalArgumentException if {@code admitAfter} is not from 1 to 15
     */
    public Builder link(String from, String to, LinkMode mode, int admitAfter) {
      notNull(from, "from");
      notNull(to, "to");
      notNull(mode, "mode");
      config.link(from, to, mode, admitAfter);
      return this;
    }

    /** Whether a lower-tier hit is copied into the tiers above it (default true). */
    public Builder promoteOnHit(boolean promote) {
      promoteOnHit = once("promoteOnHit", promoteOnHit, promote);
      return this;
    }

    /** Whether an evicted artifact no lower tier holds is written down (default true). */
    public Builder demoteOnEvict(boolean demote) {
      demoteOnEvict = once("demoteOnEvict", demoteOnEvict, demote);
      return this;
    }

    public Builder writeback(WritebackConfig writeback) {
      notNull(writeback, "writeback");
      config.writeback(writeback);
      return this;
    }

    /**
     * The values of a module's configuration section (e.g. {@code kv}), as YAML would give them;
     * see {@link StrataConfig.Builder#section}.
     */
    public Builder section(String name, Map<String, ?> values) {
      notNull(name, "name");
      notNull(values, "values");
      config.section(name, values);
      return this;
    }

    /** Directories whose jars are searched for providers and sections, as {@code plugins:}. */
    public Builder plugins(List<Path> directories) {
      notNull(directories, "directories");
      config.plugins(directories);
      return this;
    }

    /**
     * A class loader searched for providers and sections after the class path and the plugins
     * directories (e.g. one an application made over jars it downloaded).
     */
    public Builder classLoader(ClassLoader loader) {
      notNull(loader, "loader");
      config.classLoader(loader);
      classLoader = loader;
      return this;
    }

    private static Boolean once(String what, Boolean current, boolean value) {
      if (current != null) {
        throw new IllegalStateException(what + " was already set to " + current);
      }
      return value;
    }

    /**
     * Checks the configuration and opens the engine.
     *
     * @throws ConfigException if the configuration is invalid (no tier, a duplicate name, a link
     *     that does not join adjacent tiers, ...)
     */
    public StorageEngine build() {
      if (promoteOnHit != null || demoteOnEvict != null) {
        config.chain(new ChainConfig(
            promoteOnHit == null ? ChainConfig.DEFAULTS.promoteOnHit() : promoteOnHit,
            demoteOnEvict == null ? ChainConfig.DEFAULTS.demoteOnEvict() : demoteOnEvict));
      }
      StrataConfig checked;
      try {
        checked = config.build();
      } catch (ConfigException e) {
        opened.values().forEach(StorageEngine::closeQuietly);
        throw e;
      }
      return open(checked, opened, classLoader);
    }
  }
}
