package io.stratacache.cli;

import io.stratacache.config.ConfigSections;
import io.stratacache.config.StrataConfig;
import io.stratacache.config.TierConfig;
import io.stratacache.core.ConfigException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Plugins;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Opens the tiers of a configuration one at a time for a maintenance command ({@code inspect},
 * {@code fsck}, {@code repair}, {@code evict}), outside any engine: no write-back, no promotion,
 * nothing stored. A tier of an in-process provider ({@code cpu}) holds nothing outside the process
 * that runs it (cpu, cuda), so it is described but not opened. Opening takes the layer's own lock, so a tier
 * another process holds is refused with the layer's message, which names the directory or region.
 */
final class MaintenanceTiers {
  /** Providers whose layers live only inside the process that opens them. */
  static final Set<String> IN_PROCESS = Set.of("cpu", "cuda");

  /** What to do with each opened tier. */
  interface Visitor {
    void tier(int index, TierConfig tier, MemoryLayer layer);
  }

  private final StrataConfig config;
  private final List<Integer> selected;

  /**
   * The tiers of {@code config} named in {@code names} (all if empty).
   *
   * @throws Main.UserError (a usage error) if a name is not a tier of {@code config}
   */
  MaintenanceTiers(StrataConfig config, List<String> names) {
    this.config = config;
    List<String> all = config.tiers().stream().map(TierConfig::name).toList();
    List<Integer> picked = new ArrayList<>();
    for (String n : names) {
      int i = all.indexOf(n);
      if (i < 0) {
        throw new Main.UserError("--tier " + n + " (expected: a tier of " + config.source() + ", one of " + all + ")", Main.USAGE);
      }
      if (!picked.contains(i)) {
        picked.add(i);
      }
    }
    if (names.isEmpty()) {
      for (int i = 0; i < all.size(); i++) {
        picked.add(i);
      }
    }
    this.selected = List.copyOf(picked);
  }

  List<Integer> selected() {
    return selected;
  }

  StrataConfig config() {
    return config;
  }

  /** Whether tier {@code index} lives only inside a running process (and is not opened). */
  boolean inProcess(int index) {
    return IN_PROCESS.contains(config.tiers().get(index).provider());
  }

  /**
   * Opens tier {@code index}, hands it to {@code visitor} and closes it.
   *
   * @throws ConfigException if its provider is unknown or its settings are not valid
   * @throws LayerUnavailableException if it cannot open (another process holds it, say), naming
   *     the file and line of the tier
   */
  void visit(int index, Visitor visitor) {
    visit(index, false, visitor);
  }

  /**
   * As {@link #visit(int, Visitor)}; with {@code forCheck}, a tier whose provider declares an
   * {@code exclusive} setting (a shared region, which an ordinary open repairs and other processes
   * change) is opened with {@code exclusive: true}, so the check sees it as it was and nobody
   * changes it meanwhile. (An SSD tier's directory lock is always exclusive.)
   */
  void visit(int index, boolean forCheck, Visitor visitor) {
    TierConfig t = config.tiers().get(index);
    Plugins plugins = Plugins.of(config.plugins(), null);
    LayerProviders found = LayerProviders.in(plugins);
    LayerProvider provider = found.providers().get(t.provider());
    if (provider == null) {
      throw new ConfigException(config.where("tiers[" + index + "].provider") + " = \"" + t.provider() + "\" ("
          + found.missing(t.provider()) + ")");
    }
    ConfigSections sections = ConfigSections.in(plugins);
    sections.checkTier(config.spec(index));
    MemoryLayer layer;
    try {
      io.stratacache.spi.LayerSpec spec = config.spec(index);
      layer = provider.open(forCheck && sections.declares(t.provider(), "exclusive") ? spec.with("exclusive", true) : spec);
    } catch (LayerUnavailableException e) {
      throw new LayerUnavailableException(config.where("tiers[" + index + "]") + " (tier " + t.name() + ", provider "
          + t.provider() + ") cannot open: " + e.getMessage(), e);
    }
    try (layer) {
      visitor.tier(index, t, layer);
    }
  }
}
