package io.stratacache.config;

import io.stratacache.spi.LayerSpec;
import java.util.List;

/** Sections registered in this module's test resources, to test the section mechanism. */
final class SampleSections {
  private SampleSections() {}

  /** Top-level section {@code sample}: a limit, a floor at most the limit, a mode, a flat key. */
  public static final class Sample implements ConfigSection {
    static final Setting<Integer> LIMIT = Setting.integer("limit", 10).check(n -> n > 0, "a positive count");
    static final Setting<Integer> FLOOR = Setting.integer("floor", 1);
    static final Setting<String> MODE = Setting.choice("mode", "fast", "fast", "safe");
    static final Setting<Long> BUFFER = Setting.size("buffer", 4096L).flat("sample_buffer");

    @Override
    public String name() {
      return "sample";
    }

    @Override
    public List<Setting<?>> settings() {
      return List.of(LIMIT, FLOOR, MODE, BUFFER);
    }

    @Override
    public void check(SectionValues values) {
      if (values.get(FLOOR) > values.get(LIMIT)) {
        throw values.error("floor", values.get(FLOOR), "at most sample.limit, " + values.get(LIMIT));
      }
    }
  }

  /** The tier settings of provider {@code absent-medium}: {@code lanes} (1 to 8) and {@code label}. */
  public static final class AbsentMediumTier implements ConfigSection {
    @Override
    public String name() {
      return "absent-medium";
    }

    @Override
    public Scope scope() {
      return Scope.TIER;
    }

    @Override
    public List<Setting<?>> settings() {
      return List.of(Setting.integer("lanes", 1).check(n -> n >= 1 && n <= 8, "1 to 8"), Setting.string("label", null));
    }

    @Override
    public void checkTier(LayerSpec spec) {
      if (spec.has("label") && !spec.has("lanes")) {
        throw spec.error("label", spec.settings().get("label"), "lanes to be set with a label");
      }
    }
  }
}
