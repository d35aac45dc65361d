package io.stratacache.config;

import io.stratacache.config.YamlTree.ListNode;
import io.stratacache.config.YamlTree.MapNode;
import io.stratacache.config.YamlTree.Node;
import io.stratacache.config.YamlTree.Scalar;
import io.stratacache.core.ConfigException;
import io.stratacache.spi.Plugins;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads configuration files: finds the file ({@link #resolve}), reads its YAML, maps the original
 * StrataCache's flat keys onto the general form ({@link FlatKeys}), applies {@code
 * STRATACACHE_<KEY>} environment overrides and hands the result to {@link ConfigCheck}. The rules
 * are documented on {@link StrataConfig}.
 *
 * <p>Design note: a value read from YAML is held with its {@link Origin} until the checks have
 * run, so any error names the line, flat key or environment variable that set the value. Each
 * setting may be set once in the file, whatever the spelling (a flat key and its general key are
 * one setting); the environment then overrides the file.
 */
final class ConfigLoader {
  /** System property naming the configuration file. */
  static final String PROPERTY = "stratacache.config";

  /** Environment variable naming the configuration file. */
  static final String ENV_FILE = ConfigKey.ENV_PREFIX + "CONFIG";

  /** Source name of values from the environment. */
  static final String ENVIRONMENT = "environment";

  /** Source name of the packaged default. */
  static final String DEFAULT_SOURCE = "classpath:io/stratacache/config/default-config.yaml";

  private static final String DEFAULT_RESOURCE = "default-config.yaml";
  /** Provider of the default tier and of the tier {@code cpu_capacity_mb} sizes. */
  static final String CPU = "cpu";
  private static final String DEFAULT_TIER = "hot";
  private static final String DEFAULT_CPU_CAPACITY = "1GiB";
  /** The keys every link must have. */
  private static final Set<String> LINK_KEYS = new TreeSet<>(Set.of("from", "to", "mode"));
  /** Every key a link takes: the required ones and {@code admit_after}. */
  private static final Set<String> LINK_KEYS_ALL = withKey(LINK_KEYS, "admit_after");

  private static Set<String> withKey(Set<String> keys, String key) {
    Set<String> all = new TreeSet<>(keys);
    all.add(key);
    return all;
  }

  private ConfigLoader() {}

  /** Reads {@code file} with no environment overrides. */
  static StrataConfig load(Path file) {
    return parse(read(file, ""), file.toString(), Map.of(), file.toAbsolutePath().getParent());
  }

  /** Reads {@code file} (named by its absolute path), then applies the overrides in {@code env}. */
  static StrataConfig load(Path file, Map<String, String> env) {
    Path absolute = file.toAbsolutePath().normalize();
    return parse(read(absolute, ""), absolute.toString(), env, absolute.getParent());
  }

  /** Reads YAML {@code text}; {@code env} holds the overrides ({@code STRATACACHE_<KEY>}). */
  static StrataConfig parse(String text, String source, Map<String, String> env) {
    return parse(text, source, env, null);
  }

  /**
   * Reads YAML {@code text}; relative {@code plugins:} directories are resolved against {@code
   * baseDir} (the file's directory), or the working directory if it is {@code null}.
   */
  static StrataConfig parse(String text, String source, Map<String, String> env, Path baseDir) {
    MapNode root = YamlTree.read(text, source);
    List<Path> plugins = PluginDirs.read(root.entries().get("plugins"), baseDir);
    ConfigSections sections = ConfigSections.in(Plugins.of(plugins, null));
    Draft d = new Draft(source, sections, plugins);
    root.entries().forEach(d::top);
    d.environment(env);
    return d.build();
  }

  /** The packaged default, with the overrides in {@code env}. */
  static StrataConfig defaults(Map<String, String> env) {
    return parse(defaultText(), DEFAULT_SOURCE, env);
  }

  /**
   * The file named by {@code -Dstratacache.config}, else by {@code env}'s {@code
   * STRATACACHE_CONFIG}, else the packaged default; then {@code env}'s overrides.
   */
  static StrataConfig resolve(Map<String, String> env) {
    return resolve(env, null, DEFAULT_SOURCE);
  }

  /**
   * As {@link #resolve(Map)}, with {@code fallbackText} (an application's embedded default, named
   * {@code fallbackSource}) in place of the packaged default when it is not {@code null}.
   */
  static StrataConfig resolve(Map<String, String> env, String fallbackText, String fallbackSource) {
    String property = System.getProperty(PROPERTY);
    if (property != null) {
      Path file = path(property, "-D" + PROPERTY).toAbsolutePath().normalize();
      return parse(read(file, " (named by -D" + PROPERTY + ")"), file.toString(), env);
    }
    String variable = env.get(ENV_FILE);
    if (variable != null) {
      Path file = path(variable, ENV_FILE).toAbsolutePath().normalize();
      return parse(read(file, " (named by " + ENV_FILE + ")"), file.toString(), env);
    }
    return fallbackText == null ? defaults(env) : parse(fallbackText, fallbackSource, env);
  }

  private static Path path(String text, String namedBy) {
    if (text.isBlank()) {
      throw new ConfigException(namedBy + " = \"" + text + "\" (expected: the path of a YAML configuration file)");
    }
    try {
      return Path.of(text);
    } catch (InvalidPathException e) {
      throw new ConfigException(
          namedBy + " = \"" + text + "\" (expected: the path of a YAML configuration file; " + e.getMessage() + ")", e);
    }
  }

  /** The text of {@code file}; an error names the absolute path tried (a relative one is the working directory's). */
  private static String read(Path given, String namedBy) {
    Path file = given.toAbsolutePath().normalize();
    try {
      return Files.readString(file);
    } catch (MalformedInputException e) {
      throw new ConfigException(file + namedBy + ": not valid UTF-8 (expected: a UTF-8 YAML file)", e);
    } catch (IOException e) {
      String why = switch (e) {
        case NoSuchFileException x -> "no such file";
        case AccessDeniedException x -> "permission denied";
        default -> e.getClass().getSimpleName() + ": " + e.getMessage();
      };
      throw new ConfigException(file + namedBy + ": cannot read the configuration file: " + why
          + " (expected: a readable YAML file)", e);
    }
  }

  private static String defaultText() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULT_SOURCE + " is missing from the class path (a packaging error)");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(DEFAULT_SOURCE + ": cannot read the packaged default", e);
    }
  }

  /** A setting's value as found ({@code raw}), converted ({@code value}), and where it came from. */
  record Value(Object raw, Object value, Origin origin, boolean fromEnv) {}

  /** A tier as read, with the origin of each of its keys ({@code name}, {@code provider}, settings). */
  static final class TierDraft {
    final Origin origin;
    final Map<String, Object> settings = new LinkedHashMap<>();
    final Map<String, Origin> origins = new HashMap<>();
    String name;
    String provider;

    TierDraft(Origin origin) {
      this.origin = origin;
    }

    TierDraft(String name, String provider, Origin origin) {
      this(origin);
      this.name = name;
      this.provider = provider;
    }
  }

  /** A link as read; an environment override may change its mode. */
  static final class LinkDraft {
    final Origin origin;
    final Map<String, Origin> origins = new HashMap<>();
    String from;
    String to;
    LinkMode mode;
    int admitAfter = 1;

    LinkDraft(Origin origin) {
      this.origin = origin;
    }
  }

  /** One file's settings while they are read. */
  private static final class Draft {
    private final String source;
    private final ConfigSections sections;
    private final List<Path> plugins;
    private final List<SettingKey> keys = new ArrayList<>();
    private final Map<String, Value> values = new HashMap<>();
    private Origin tiersOrigin;
    private List<TierDraft> tiers;
    private final List<LinkDraft> links = new ArrayList<>();

    Draft(String source, ConfigSections sections, List<Path> plugins) {
      this.source = source;
      this.sections = sections;
      this.plugins = plugins;
      for (ConfigKey k : ConfigKey.values()) {
        keys.add(SettingKey.of(k));
      }
      sections.sections().forEach((name, section) -> section.settings().forEach(s -> keys.add(SettingKey.of(name, s))));
    }

    private SettingKey inSection(String section, String key) {
      for (SettingKey k : keys) {
        if (section.equals(k.section()) && key.equals(k.key())) {
          return k;
        }
      }
      return null;
    }

    private Set<String> keysOf(String section) {
      Set<String> names = new TreeSet<>();
      for (SettingKey k : keys) {
        if (section.equals(k.section())) {
          names.add(k.key());
        }
      }
      return names;
    }

    private SettingKey forFlat(String flat) {
      for (SettingKey k : keys) {
        if (flat.equals(k.flat())) {
          return k;
        }
      }
      return null;
    }

    private SettingKey forEnv(String name) {
      for (SettingKey k : keys) {
        if (k.envNames().contains(name)) {
          return k;
        }
      }
      return null;
    }

    private Set<String> envNamesAll() {
      Set<String> names = new TreeSet<>();
      keys.forEach(k -> names.addAll(k.envNames()));
      return names;
    }

    private boolean isSection(String name) {
      return name.equals("chain") || name.equals("writeback") || sections.sections().containsKey(name);
    }

    /** A top-level key. */
    void top(String name, Node node) {
      switch (name) {
        case "plugins" -> { } // read first, by ConfigLoader.plugins
        case "tiers" -> tiers(node);
        case "links" -> links(node);
        case "writeback" -> {
          if (node instanceof Scalar s && s.value() instanceof Boolean) {
            set(SettingKey.of(ConfigKey.WRITEBACK), node);
          } else if (node instanceof MapNode || node instanceof Scalar s && s.value() == null) {
            section(name, node);
          } else {
            throw node.origin().error(node.plain(),
                "true or false (the flat key), or a mapping of write-back settings " + keysOf(name));
          }
        }
        default -> {
          if (isSection(name)) {
            section(name, node);
            return;
          }
          SettingKey key = forFlat(name);
          if (key == null) {
            Set<String> known = new TreeSet<>(ConfigSections.CORE_KEYS);
            known.addAll(sections.topLevelKeys());
            keys.stream().filter(k -> k.flat() != null).forEach(k -> known.add(k.flat()));
            throw node.origin().error(node.plain(), "one of the keys " + known
                + " (sections of other modules are known when their jar is on the class path or in a plugins directory)");
          }
          set(key, node);
        }
      }
    }

    private void section(String name, Node node) {
      if (node instanceof Scalar s && s.value() == null) {
        return; // an empty section: every setting keeps its default
      }
      if (!(node instanceof MapNode map)) {
        throw node.origin().error(node.plain(), "a mapping of " + name + " settings " + keysOf(name));
      }
      map.entries().forEach((key, value) -> {
        SettingKey k = inSection(name, key);
        if (k == null) {
          throw value.origin().error(value.plain(), "one of the keys " + keysOf(name) + " of " + name);
        }
        set(k, value);
      });
    }

    private void set(SettingKey key, Node node) {
      Object raw = node.plain();
      put(key, new Value(raw, key.fromYaml(raw, node.origin()), node.origin(), false));
    }

    private void put(SettingKey key, Value v) {
      Value old = values.get(key.path());
      if (old != null && (!v.fromEnv() || old.fromEnv())) {
        throw v.origin().error(v.raw(), key.path() + " set once; " + old.origin().where() + " already sets it to "
            + Origin.render(old.raw()));
      }
      values.put(key.path(), v);
    }

    /** The items of a list of mappings. */
    private static List<MapNode> mappings(Node node, String what, String item) {
      if (!(node instanceof ListNode list)) {
        throw node.origin().error(node.plain(), "a list of " + what + ", each " + item);
      }
      List<MapNode> maps = new ArrayList<>();
      for (Node n : list.items()) {
        if (!(n instanceof MapNode map)) {
          throw n.origin().error(n.plain(), item);
        }
        maps.add(map);
      }
      return maps;
    }

    private void tiers(Node node) {
      List<MapNode> items = mappings(node, "tiers", "a mapping with name, provider and the provider's settings");
      tiersOrigin = node.origin();
      tiers = new ArrayList<>();
      for (MapNode item : items) {
        TierDraft t = new TierDraft(item.origin());
        item.entries().forEach((key, value) -> {
          switch (key) {
            case "name" -> t.name = string(value, "a tier name such as hot");
            case "provider" -> t.provider = string(value, "a layer provider name such as cpu or ssd");
            default -> t.settings.put(key, value.plain());
          }
          t.origins.put(key, value.origin());
        });
        if (t.name == null) {
          throw item.origin().child("name", item.origin().line()).missing("a tier name such as hot");
        }
        if (t.provider == null) {
          throw item.origin().child("provider", item.origin().line()).missing("a layer provider name such as cpu or ssd");
        }
        tiers.add(t);
      }
    }

    private void links(Node node) {
      for (MapNode item : mappings(node, "links", "a mapping {from: TIER, to: TIER, mode: write-through|write-back}")) {
        LinkDraft l = new LinkDraft(item.origin());
        item.entries().forEach((key, value) -> {
          switch (key) {
            case "from" -> l.from = string(value, "the name of the upper tier");
            case "to" -> l.to = string(value, "the name of the tier directly below");
            case "mode" -> l.mode = mode(value);
            case "admit_after" -> l.admitAfter = admitAfter(value);
            default -> throw value.origin().error(value.plain(), "one of the keys " + LINK_KEYS_ALL + " of a link");
          }
          l.origins.put(key, value.origin());
        });
        for (String key : LINK_KEYS) {
          if (!l.origins.containsKey(key)) {
            throw item.origin().child(key, item.origin().line()).missing(
                key.equals("mode") ? "write-through or write-back" : "a tier name");
          }
        }
        links.add(l);
      }
    }

    private static String string(Node node, String expected) {
      if (node instanceof Scalar s && s.value() instanceof String text) {
        return text;
      }
      throw node.origin().error(node.plain(), expected);
    }

    private static int admitAfter(Node node) {
      if (node instanceof Scalar s && s.value() instanceof Number n && n.doubleValue() == n.longValue()
          && n.longValue() >= 1 && n.longValue() <= LinkConfig.MAX_ADMIT_AFTER) {
        return n.intValue();
      }
      throw node.origin().error(node.plain(), "an integer from 1 to " + LinkConfig.MAX_ADMIT_AFTER + " (1 writes every artifact down)");
    }

    private static LinkMode mode(Node node) {
      String text = string(node, "write-through or write-back");
      try {
        return LinkMode.parse(text);
      } catch (IllegalArgumentException e) {
        throw node.origin().error(text, "write-through or write-back");
      }
    }

    /** Applies {@code STRATACACHE_<KEY>} overrides; each replaces what the file set. */
    void environment(Map<String, String> env) {
      for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
        String name = e.getKey();
        if (!name.startsWith(ConfigKey.ENV_PREFIX) || name.equals(ENV_FILE)) {
          continue;
        }
        Origin origin = Origin.of(ENVIRONMENT, name);
        SettingKey key = forEnv(name);
        if (key == null) {
          String closest = closest(name);
          if (closest == null) {
            continue; // another program's variable (STRATACACHE_HOME, ...): not a misspelt setting
          }
          throw new ConfigException(ENVIRONMENT + ": " + name + " names no setting; did you mean " + closest + "?");
        }
        put(key, new Value(e.getValue(), key.fromText(e.getValue(), origin), origin, true));
      }
    }

    /**
     * The setting variable closest to {@code name} when it is near enough to be a misspelling of
     * it (at most a third of the suffix's length apart, and at most 3 edits), else {@code null}.
     */
    private String closest(String name) {
      Set<String> names = envNamesAll();
      names.add(ENV_FILE);
      String suffix = name.substring(ConfigKey.ENV_PREFIX.length());
      int allowed = Math.min(3, suffix.length() / 3);
      String best = null;
      int bestDistance = Integer.MAX_VALUE;
      for (String candidate : names) {
        int d = editDistance(suffix, candidate.substring(ConfigKey.ENV_PREFIX.length()));
        if (d < bestDistance) {
          best = candidate;
          bestDistance = d;
        }
      }
      return bestDistance <= allowed ? best : null;
    }

    /** Levenshtein distance: the fewest one-character insertions, deletions and substitutions. */
    private static int editDistance(String a, String b) {
      int[] prev = new int[b.length() + 1];
      int[] cur = new int[b.length() + 1];
      for (int j = 0; j <= b.length(); j++) {
        prev[j] = j;
      }
      for (int i = 1; i <= a.length(); i++) {
        cur[0] = i;
        for (int j = 1; j <= b.length(); j++) {
          int subst = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
          cur[j] = Math.min(subst, Math.min(prev[j] + 1, cur[j - 1] + 1));
        }
        int[] t = prev;
        prev = cur;
        cur = t;
      }
      return prev[b.length()];
    }

    StrataConfig build() {
      List<TierDraft> ts = tiers;
      if (ts == null) {
        TierDraft hot = new TierDraft(DEFAULT_TIER, CPU, Origin.of(source, "tiers (not given: one cpu tier \"hot\")"));
        hot.settings.put("capacity", DEFAULT_CPU_CAPACITY);
        ts = new ArrayList<>(List.of(hot));
      }
      LinkMode defaultMode = FlatKeys.apply(values, ts, links);

      Map<String, Origin> origins = new HashMap<>();
      values.forEach((path, v) -> origins.put(path, v.origin()));
      if (tiersOrigin != null) {
        origins.put("tiers", tiersOrigin);
      }
      List<TierConfig> tierConfigs = new ArrayList<>();
      for (int i = 0; i < ts.size(); i++) {
        TierDraft t = ts.get(i);
        String p = "tiers[" + i + "]";
        origins.put(p, t.origin);
        t.origins.forEach((key, o) -> origins.put(p + "." + key, o));
        tierConfigs.add(new TierConfig(t.name, t.provider, t.settings));
      }
      List<LinkConfig> linkConfigs = new ArrayList<>();
      for (int j = 0; j < links.size(); j++) {
        LinkDraft l = links.get(j);
        String p = "links[" + j + "]";
        origins.put(p, l.origin);
        l.origins.forEach((key, o) -> origins.put(p + "." + key, o));
        linkConfigs.add(new LinkConfig(l.from, l.to, l.mode, l.admitAfter));
      }

      Map<String, Map<String, Object>> sectionValues = new TreeMap<>();
      sections.sections().forEach((name, section) -> {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Setting<?> s : section.settings()) {
          Value v = values.get(name + "." + s.key());
          m.put(s.key(), v == null ? s.defaultValue() : v.value());
        }
        sectionValues.put(name, m);
      });
      ChainConfig c = ChainConfig.DEFAULTS;
      WritebackConfig w = WritebackConfig.DEFAULTS;
      for (int i = 0; i < plugins.size(); i++) {
        origins.putIfAbsent("plugins[" + i + "]", Origin.of(source, "plugins[" + i + "]"));
      }
      return ConfigCheck.check(
          tierConfigs,
          linkConfigs,
          defaultMode,
          new ChainConfig(
              (Boolean) get(ConfigKey.PROMOTE_ON_HIT, c.promoteOnHit()),
              (Boolean) get(ConfigKey.DEMOTE_ON_EVICT, c.demoteOnEvict())),
          new WritebackConfig(
              (Duration) get(ConfigKey.FLUSH_INTERVAL, w.flushInterval()),
              (Duration) get(ConfigKey.RETRY_BACKOFF_MIN, w.retryBackoffMin()),
              (Duration) get(ConfigKey.RETRY_BACKOFF_MAX, w.retryBackoffMax()),
              (Duration) get(ConfigKey.CLOSE_TIMEOUT, w.closeTimeout()),
              (Long) get(ConfigKey.MAX_DIRTY_BYTES, w.maxDirtyBytes()),
              (WritebackConfig.Backpressure) get(ConfigKey.BACKPRESSURE, w.backpressure())),
          sectionValues,
          plugins,
          sections,
          source,
          path -> origins.getOrDefault(path, Origin.of(source, path)),
          Set.of());
    }

    private Object get(ConfigKey key, Object dflt) {
      Value v = values.get(key.path());
      return v == null ? dflt : v.value();
    }
  }
}
