package io.stratacache.config;

import io.stratacache.config.ConfigLoader.LinkDraft;
import io.stratacache.config.ConfigLoader.TierDraft;
import io.stratacache.config.ConfigLoader.Value;
import java.util.List;
import java.util.Map;

/**
 * Maps the original StrataCache's flat keys ({@link ConfigKey}s with a flat name and no section)
 * onto the tiers and links of the general form, on the drafts {@link ConfigLoader} reads: {@code
 * use_cxl} puts a {@code cxl} tier below the first cpu tier, {@code cpu_capacity_mb} sizes the
 * first cpu tier, {@code cxl_dax_device} and {@code cxl_reset_metadata} set a key of the first
 * cxl tier, and {@code writeback} gives every link its mode.
 *
 * <p>A flat key from the file must agree with what the file sets in the general form (the same
 * setting may be set once, whatever the spelling); one from the environment overrides it. Each
 * error names the flat key's origin and, where there is one, the place that already sets the
 * value.
 */
final class FlatKeys {
  private static final String CXL = "cxl";

  private FlatKeys() {}

  /**
   * Applies the flat keys in {@code values} (by {@link ConfigKey#path()}) to the tiers {@code ts}
   * and the {@code links}, in place.
   *
   * @return the default mode of a link: the one the flat {@code writeback} key gives, else
   *     write-through
   */
  static LinkMode apply(Map<String, Value> values, List<TierDraft> ts, List<LinkDraft> links) {
    useCxl(values.get(ConfigKey.USE_CXL.path()), ts, links);
    cpuCapacity(values.get(ConfigKey.CPU_CAPACITY_MB.path()), ts);
    cxlSetting(values.get(ConfigKey.CXL_DAX_DEVICE.path()), ts, "device");
    cxlSetting(values.get(ConfigKey.CXL_RESET_METADATA.path()), ts, "reset_metadata");
    return writebackFlag(values.get(ConfigKey.WRITEBACK.path()), links);
  }

  private static int indexOfProvider(List<TierDraft> ts, String provider) {
    for (int i = 0; i < ts.size(); i++) {
      if (ts.get(i).provider.equals(provider)) {
        return i;
      }
    }
    return -1;
  }

  /** {@code use_cxl: true} puts a {@code cxl} tier below the first cpu tier unless one exists. */
  private static void useCxl(Value v, List<TierDraft> ts, List<LinkDraft> links) {
    if (v == null) {
      return;
    }
    int cxl = indexOfProvider(ts, CXL);
    if (!(Boolean) v.value()) {
      if (cxl >= 0) {
        throw v.origin().error(v.raw(),
            "true, since " + ts.get(cxl).origin.where() + " is a tier with provider cxl; drop use_cxl or that tier");
      }
      return;
    }
    if (cxl >= 0) {
      return;
    }
    int cpu = indexOfProvider(ts, ConfigLoader.CPU);
    if (cpu < 0) {
      throw v.origin().error(v.raw(), "a tier with provider cpu for the cxl tier to go below; the tiers have none");
    }
    for (TierDraft t : ts) {
      if (t.name.equals(CXL)) {
        throw v.origin().error(v.raw(), "tier name cxl to be free for the cxl tier; " + t.origin.where() + " uses it");
      }
    }
    if (cpu + 1 < ts.size()) {
      String above = ts.get(cpu).name;
      String below = ts.get(cpu + 1).name;
      for (LinkDraft l : links) {
        if (l.from.equals(above) && l.to.equals(below)) {
          throw v.origin().error(v.raw(), "no link across the new cxl tier, but " + l.origin.where() + " joins \""
              + above + "\" and \"" + below + "\"; list the cxl tier under tiers: instead");
        }
      }
    }
    ts.add(cpu + 1, new TierDraft(CXL, CXL, v.origin()));
  }

  /** {@code cpu_capacity_mb} sizes the first cpu tier. */
  private static void cpuCapacity(Value v, List<TierDraft> ts) {
    if (v == null) {
      return;
    }
    if ((Integer) v.value() <= 0) {
      throw v.origin().error(v.raw(), "a positive number of MiB");
    }
    int cpu = indexOfProvider(ts, ConfigLoader.CPU);
    if (cpu < 0) {
      throw v.origin().error(v.raw(), "a tier with provider cpu to size; the tiers have none");
    }
    tierSetting(ts.get(cpu), "capacity", v.value() + "MiB", v);
  }

  /** {@code cxl_dax_device} and {@code cxl_reset_metadata} set {@code setting} of the first cxl tier. */
  private static void cxlSetting(Value v, List<TierDraft> ts, String setting) {
    if (v == null) {
      return;
    }
    int cxl = indexOfProvider(ts, CXL);
    if (cxl < 0) {
      throw v.origin().error(v.raw(), "use_cxl: true or a tier with provider cxl for it to configure");
    }
    tierSetting(ts.get(cxl), setting, v.value(), v);
  }

  private static void tierSetting(TierDraft t, String setting, Object value, Value v) {
    Origin set = t.origins.get(setting);
    if (set != null && !v.fromEnv()) {
      throw v.origin().error(v.raw(), "the setting " + setting + " of tier \"" + t.name + "\" set once; " + set.where()
          + " already sets it to " + Origin.render(t.settings.get(setting)));
    }
    t.settings.put(setting, value);
    t.origins.put(setting, v.origin());
  }

  /**
   * The flat {@code writeback} key: the mode of every link. From the file it must agree with each
   * link given; from the environment it overrides them.
   */
  private static LinkMode writebackFlag(Value v, List<LinkDraft> links) {
    if (v == null) {
      return LinkMode.WRITE_THROUGH;
    }
    LinkMode mode = (Boolean) v.value() ? LinkMode.WRITE_BACK : LinkMode.WRITE_THROUGH;
    for (LinkDraft l : links) {
      if (l.mode != mode) {
        if (!v.fromEnv()) {
          Origin m = l.origins.get("mode");
          throw v.origin().error(v.raw(), "agreement with " + m.where() + " = \"" + l.mode.configName()
              + "\"; set the mode of each link or the flat key writeback, not both");
        }
        l.mode = mode;
        l.origins.put("mode", v.origin());
      }
    }
    return mode;
  }
}
