package io.stratacache.config;

import io.stratacache.spi.EvictionPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The checks every configuration passes, whether read from YAML or made with {@link
 * StrataConfig#builder()}, and the one place that completes the links (a missing link between
 * adjacent tiers takes the default mode).
 *
 * <p>Values are addressed by their key path in the general form ({@code tiers[1].capacity},
 * {@code links[0].to}, {@code kv.chunk_size}); the caller maps each path to the {@link Origin} it
 * came from, so that an error names the file, line, flat key or environment variable that set it.
 */
final class ConfigCheck {
  private static final Pattern TIER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  private static final Duration MAX_DURATION = Duration.ofNanos(Long.MAX_VALUE);

  private final Function<String, Origin> origins;

  private ConfigCheck(Function<String, Origin> origins) {
    this.origins = origins;
  }

  /**
   * Checks a configuration and completes its links.
   *
   * @param links the links given, in any order; pairs of adjacent tiers without one get {@code
   *     defaultMode}
   * @param origins where each key path came from
   * @throws io.stratacache.core.ConfigException for the first value that is wrong
   */
  static StrataConfig check(
      List<TierConfig> tiers,
      List<LinkConfig> links,
      LinkMode defaultMode,
      ChainConfig chain,
      WritebackConfig writeback,
      Map<String, Map<String, Object>> sectionValues,
      List<Path> plugins,
      ConfigSections sections,
      String source,
      Function<String, Origin> origins,
      Set<String> alreadyOpened) {
    ConfigCheck c = new ConfigCheck(origins);
    c.tiers(tiers);
    for (int i = 0; i < tiers.size(); i++) {
      // a layer the application opened itself was checked by its provider when it opened
      if (!alreadyOpened.contains(tiers.get(i).name())) {
        sections.checkTier(StrataConfig.spec(i, tiers.get(i), source, origins));
      }
    }
    List<LinkConfig> all = c.links(tiers, links, defaultMode);
    c.writeback(writeback);
    Map<String, SectionValues> checked = new java.util.TreeMap<>();
    sectionValues.forEach((name, values) -> {
      ConfigSection section = sections.sections().get(name);
      SectionValues v = new SectionValues(section, values, origins);
      section.check(v);
      checked.put(name, v);
    });
    return new StrataConfig(tiers, all, chain, writeback, checked, plugins, source, origins);
  }

  private Origin at(String path) {
    return origins.apply(path);
  }

  private void tiers(List<TierConfig> tiers) {
    if (tiers.isEmpty()) {
      throw at("tiers").error(tiers, "at least one tier");
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < tiers.size(); i++) {
      TierConfig t = tiers.get(i);
      String p = "tiers[" + i + "]";
      if (!TIER_NAME.matcher(t.name()).matches()) {
        throw at(p + ".name").error(t.name(),
            "a tier name of letters, digits, '_', '.' and '-', starting with a letter or digit, at most 64 characters");
      }
      Integer previous = seen.putIfAbsent(t.name(), i);
      if (previous != null) {
        throw at(p + ".name").error(t.name(),
            "a name no other tier has; tiers[" + previous + "] is also named \"" + t.name() + "\"");
      }
      if (t.provider().isBlank()) {
        throw at(p + ".provider").error(t.provider(), "a layer provider name such as cpu or ssd");
      }
      for (Map.Entry<String, Object> e : t.settings().entrySet()) {
        if (e.getValue() == null) {
          throw at(p + "." + e.getKey()).error(null, "a value (leave the key out for the provider's default)");
        }
      }
      Object capacity = t.settings().get("capacity");
      if (capacity != null) {
        Origin o = at(p + ".capacity");
        long bytes = (Long) ConfigKey.Kind.SIZE.convert(capacity, o);
        if (bytes <= 0) {
          throw o.error(capacity, "a positive size such as 512MiB");
        }
      }
      watermarks(p, t);
      Object policy = t.settings().get("eviction_policy");
      if (policy != null) {
        try {
          EvictionPolicy.forName(String.valueOf(policy));
        } catch (IllegalArgumentException e) {
          throw at(p + ".eviction_policy").error(policy, "a policy the layers know: " + e.getMessage());
        }
      }
    }
  }

  private void watermarks(String p, TierConfig t) {
    Watermarks.Invalid bad = Watermarks.invalid(t.settings());
    if (bad != null) {
      throw at(p + "." + bad.key()).error(bad.value(), bad.expected());
    }
  }

  private List<LinkConfig> links(List<TierConfig> tiers, List<LinkConfig> links, LinkMode defaultMode) {
    List<String> names = tiers.stream().map(TierConfig::name).toList();
    Map<Integer, Integer> linkBelow = new LinkedHashMap<>();
    LinkMode[] modes = new LinkMode[tiers.size() - 1];
    Arrays.fill(modes, defaultMode);
    int[] admitAfter = new int[modes.length];
    Arrays.fill(admitAfter, 1);
    for (int j = 0; j < links.size(); j++) {
      LinkConfig l = links.get(j);
      String p = "links[" + j + "]";
      int from = names.indexOf(l.from());
      if (from < 0) {
        throw at(p + ".from").error(l.from(), "one of the tiers " + names);
      }
      int to = names.indexOf(l.to());
      if (to < 0) {
        throw at(p + ".to").error(l.to(), "one of the tiers " + names);
      }
      if (to != from + 1) {
        throw at(p + ".to").error(l.to(), from + 1 < names.size()
            ? "\"" + names.get(from + 1) + "\", the tier directly below \"" + l.from() + "\" (a link joins adjacent tiers)"
            : "a tier below \"" + l.from() + "\", but it is the last tier");
      }
      Integer previous = linkBelow.putIfAbsent(from, j);
      if (previous != null) {
        throw at(p).error(describe(l),
            "one link per pair of tiers; links[" + previous + "] already joins \"" + l.from() + "\" and \"" + l.to() + "\"");
      }
      modes[from] = l.mode();
      admitAfter[from] = l.admitAfter();
    }
    List<LinkConfig> all = new ArrayList<>(modes.length);
    for (int i = 0; i < modes.length; i++) {
      all.add(new LinkConfig(names.get(i), names.get(i + 1), modes[i], admitAfter[i]));
    }
    return all;
  }

  /** A link as a message shows a mapping: {@code {from=a, to=b, mode=write-back}}. */
  private static Map<String, String> describe(LinkConfig l) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("from", l.from());
    m.put("to", l.to());
    m.put("mode", l.mode().configName());
    return m;
  }

  private void writeback(WritebackConfig w) {
    positive(w.flushInterval(), "writeback.flush_interval_ms");
    positive(w.retryBackoffMin(), "writeback.retry_backoff_min_ms");
    positive(w.retryBackoffMax(), "writeback.retry_backoff_max_ms");
    if (w.retryBackoffMax().compareTo(w.retryBackoffMin()) < 0) {
      throw at("writeback.retry_backoff_max_ms").error(millis(w.retryBackoffMax()),
          "at least writeback.retry_backoff_min_ms, " + millis(w.retryBackoffMin()));
    }
    Duration close = w.closeTimeout();
    if (close.isNegative() || close.compareTo(MAX_DURATION) > 0) {
      throw at("writeback.close_timeout_ms").error(millis(close), "0 or more milliseconds, at most " + MAX_DURATION.toMillis());
    }
    if (w.maxDirtyBytes() <= 0) {
      throw at("writeback.max_dirty_bytes").error(w.maxDirtyBytes(), "a positive size such as 1GiB");
    }
  }

  private void positive(Duration d, String path) {
    if (d.isNegative() || d.isZero() || d.compareTo(MAX_DURATION) > 0) {
      throw at(path).error(millis(d), "a positive number of milliseconds, at most " + MAX_DURATION.toMillis());
    }
  }

  /** A duration as its key spells it: whole milliseconds where it has no finer part. */
  private static Object millis(Duration d) {
    try {
      return d.getNano() % 1_000_000 == 0 ? d.toMillis() : d;
    } catch (ArithmeticException tooLongForMillis) {
      return d;
    }
  }
}
