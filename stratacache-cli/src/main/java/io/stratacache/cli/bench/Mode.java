package io.stratacache.cli.bench;

import java.util.Locale;

/** How long {@code stratacache bench} measures: a few minutes, or long enough for the README. */
public enum Mode {
  /** Under three minutes on a two-core machine: fewer sizes, rounds and prompt lengths. */
  QUICK,
  /** The figures the README's benchmark section is made from. */
  FULL;

  /** The plan this mode runs. */
  public BenchPlan plan() {
    return this == QUICK ? BenchPlan.quick() : BenchPlan.full();
  }

  /**
   * The mode called {@code name} ({@code quick} or {@code full}, any case).
   *
   * @throws IllegalArgumentException naming the value and the modes there are
   */
  public static Mode forName(String name) {
    if (name != null) {
      for (Mode m : values()) {
        if (m.name().equalsIgnoreCase(name.trim())) {
          return m;
        }
      }
    }
    throw new IllegalArgumentException("mode: " + name + " (expected: quick or full)");
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
