package io.stratacache.cli;

import io.stratacache.cli.bench.Figure;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's printed figures: the table of requests, the summary of part one and the lines of
 * part two. Rules every line follows:
 *
 * <ul>
 *   <li>Width: no line is wider than {@value #WIDTH} columns. The columns sit at fixed offsets;
 *       the tier breakdown is the last column, and one that does not fit continues on the next
 *       lines, one tier per line (at the column's offset, or further left for a tier name too
 *       long for it), so it never shifts a column.
 *   <li>Sums: the tier breakdown of a row sums to the tokens the row says were reused ({@link
 *       #reusedByTier}).
 *   <li>Direction: one quantity, one direction. TTFT is compared as a speedup, cold / warm (above
 *       1x the reuse made the first token come sooner), in the rows and in the summary alike.
 *   <li>A row with nothing reused shows no speedup ({@code -}): both times computed every token.
 * </ul>
 */
final class DemoTable {
  static final int WIDTH = 80;
  private static final String ROW = "%2s %-18s %6s %6s %7s %7s %7s  %s";
  /** Offset of the tier column: the width of everything before it. */
  static final int TIER_COLUMN = String.format(Locale.ROOT, ROW, "", "", "", "", "", "", "", "").length();

  private DemoTable() {}

  /** The header line of the request table. */
  static String header() {
    return String.format(Locale.ROOT, ROW, "#", "request", "prompt", "reused", "cold ms", "warm ms", "speedup", "reused by tier").stripTrailing();
  }

  /**
   * The lines of one request: the row, then continuation lines for tiers that do not fit.
   *
   * @param byTier tokens reused by tier, in chain order; must sum to {@code reused}
   * @throws IllegalArgumentException if a count is negative, {@code reused > prompt} or the tiers do not sum to {@code reused}
   */
  static List<String> row(int index, String request, int prompt, int reused, Map<String, Integer> byTier, long coldNanos, long warmNanos) {
    if (prompt < 0 || reused < 0 || reused > prompt) {
      throw new IllegalArgumentException("reused: " + reused + " of " + prompt + " prompt tokens (expected: 0 to the prompt's length)");
    }
    int sum = byTier.values().stream().mapToInt(Integer::intValue).sum();
    if (sum != reused) {
      throw new IllegalArgumentException("byTier: " + byTier + " sums to " + sum + " (expected: the " + reused + " tokens reused)");
    }
    List<String> tiers = new ArrayList<>();
    byTier.forEach((tier, n) -> {
      if (n > 0) {
        tiers.add(tier + ":" + n);
      }
    });
    String name = request.length() > 18 ? request.substring(0, 17) + "~" : request;
    List<String> cells = pack(tiers.isEmpty() ? List.of("-") : tiers, WIDTH - TIER_COLUMN);
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, ROW, index, name, prompt, reused, millis(coldNanos), millis(warmNanos), speedup(coldNanos, warmNanos, reused),
        cells.getFirst()).stripTrailing());
    for (String more : cells.subList(1, cells.size())) {
      String cell = more.length() <= WIDTH ? more : more.substring(0, WIDTH - 1) + "~";
      lines.add(" ".repeat(Math.min(TIER_COLUMN, WIDTH - cell.length())) + cell);
    }
    return lines;
  }

  /**
   * Packs {@code items} into lines of at most {@code room} characters, separated by a space and
   * never split; an item longer than {@code room} gets a line of its own (the first line is empty
   * if the first item is such an item).
   */
  private static List<String> pack(List<String> items, int room) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String item : items) {
      if (!line.isEmpty() && line.length() + 1 + item.length() > room) {
        lines.add(line.toString());
        line.setLength(0);
      } else if (line.isEmpty() && lines.isEmpty() && item.length() > room) {
        lines.add("");
      }
      line.append(line.isEmpty() ? "" : " ").append(item);
    }
    lines.add(line.toString());
    return lines;
  }

  /** {@code nanos} as milliseconds, one decimal below 1,000 ms, none above. */
  static String millis(long nanos) {
    double ms = nanos / 1e6;
    return String.format(Locale.ROOT, ms < 1000 ? "%.1f" : "%.0f", ms);
  }

  /** The speedup cold / warm as {@code 4.2x}, or {@code -} when nothing was reused. */
  static String speedup(long coldNanos, long warmNanos, int reused) {
    if (reused == 0 || warmNanos <= 0) {
      return "-";
    }
    double x = (double) coldNanos / warmNanos;
    return String.format(Locale.ROOT, x < 100 ? "%.1fx" : "%.0fx", x);
  }

  /**
   * The tokens reused, by tier. A lookup counts every cached token of the prompt; the prefill
   * reuses fewer when the whole prompt is cached (the last token is computed again for its logits)
   * or when a retrieval stopped early. The prefix's tail is what was not reused, so the difference
   * is taken from the last tiers in chain order that hold tokens (which tier holds the tail's
   * chunk, the lookup does not say), and the counts sum to {@code reused}.
   *
   * @param lookupByTier tokens of the cached prefix by tier, in chain order
   * @throws IllegalArgumentException if {@code reused} is negative or more than the lookup found
   */
  static Map<String, Integer> reusedByTier(Map<String, Integer> lookupByTier, int reused) {
    int found = lookupByTier.values().stream().mapToInt(Integer::intValue).sum();
    if (reused < 0 || reused > found) {
      throw new IllegalArgumentException("reused: " + reused + " (expected: 0 to the " + found + " tokens the lookup found)");
    }
    List<String> tiers = new ArrayList<>(lookupByTier.keySet());
    Map<String, Integer> out = new LinkedHashMap<>(lookupByTier);
    int excess = found - reused;
    for (int i = tiers.size() - 1; i >= 0 && excess > 0; i--) {
      int n = out.get(tiers.get(i));
      int take = Math.min(n, excess);
      out.put(tiers.get(i), n - take);
      excess -= take;
    }
    return out;
  }

  /**
   * The summary's TTFT line: the speedup cold / warm over the requests that reused a prefix (sum
   * of their cold times over the sum of their warm times), and how many reused nothing.
   */
  static List<String> ttftSummary(long hitColdNanos, long hitWarmNanos, int hitRequests, int requests) {
    int none = requests - hitRequests;
    List<String> l = new ArrayList<>();
    if (hitRequests == 0 || hitWarmNanos <= 0) {
      l.add("  TTFT speedup (cold / warm): none to show, no request reused a prefix");
    } else {
      l.add(String.format(Locale.ROOT, "  TTFT speedup (cold / warm): %.1fx over the %d requests that reused a prefix",
          (double) hitColdNanos / hitWarmNanos, hitRequests));
      if (none > 0) {
        l.add(String.format(Locale.ROOT, "  (%d reused nothing: no speedup to show for %s)", none, none == 1 ? "it" : "them"));
      }
    }
    return l;
  }

  /**
   * Part two's lines: what is measured, each variant's throughput and its ratio to the resident
   * model, and, when prefetch was not faster than no prefetch in this run, a line that says so.
   *
   * @param resident tokens per second of each pass of the resident model
   * @param prefetched the same with prefetch, pass by pass
   * @param unprefetched the same without prefetch, pass by pass
   */
  static List<String> offload(int promptTokens, int depth, int layers, String budget, String planeBytes, List<Double> resident,
      List<Double> prefetched, List<Double> unprefetched) {
    int passes = resident.size();
    if (passes == 0 || prefetched.size() != passes || unprefetched.size() != passes) {
      throw new IllegalArgumentException("passes: " + resident.size() + "/" + prefetched.size() + "/" + unprefetched.size()
          + " (expected: the same positive number for every variant)");
    }
    List<String> l = new ArrayList<>();
    l.add(String.format(Locale.ROOT, "  Measures prompt tokens per second of a forward pass over a %d-token prompt", promptTokens));
    l.add(String.format(Locale.ROOT, "  (median of %d passes per variant, the variants taking turns); the weights", passes));
    l.add(String.format(Locale.ROOT, "  come from the plane (%s of layers) through a %s staging pool", planeBytes, budget));
    l.add(String.format(Locale.ROOT, "  that holds %d of the %d layers at a time.", depth + 1, layers));
    double r = Figure.median(resident);
    double p = Figure.median(prefetched);
    double u = Figure.median(unprefetched);
    l.add(String.format(Locale.ROOT, "  %-26s %8.0f tokens/s", "fully resident:", r));
    l.add(String.format(Locale.ROOT, "  %-26s %8.0f tokens/s  %.2fx resident", "offloaded, prefetch " + depth + ":", p, p / r));
    l.add(String.format(Locale.ROOT, "  %-26s %8.0f tokens/s  %.2fx resident", "offloaded, no prefetch:", u, u / r));
    if (p < u) {
      l.add(String.format(Locale.ROOT, "  In this run prefetch was slower than no prefetch (%.2fx its throughput).", p / u));
    } else {
      l.add(String.format(Locale.ROOT, "  Prefetch %d was %.2fx the throughput of no prefetch in this run.", depth, p / u));
    }
    return l;
  }
}
