package io.stratacache.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoTableTest {
  private static final long MS = 1_000_000L;

  private static Map<String, Integer> tiers(Object... kv) {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], (Integer) kv[i + 1]);
    }
    return m;
  }

  @Test
  void everyLine_fitsEightyColumns_evenWithLargeFigures() {
    assertTrue(DemoTable.header().length() <= DemoTable.WIDTH, DemoTable.header());
    List<String> lines = DemoTable.row(99, "a request name much longer than its column", 999_999, 999_998,
        tiers("hot", 500_000, "disk", 499_998), 999_999 * MS, 12_345 * MS);
    for (String l : lines) {
      assertTrue(l.length() <= DemoTable.WIDTH, l.length() + ": " + l);
    }
  }

  @Test
  void aLongTierBreakdown_doesNotShiftTheColumns() {
    String shortRow = DemoTable.row(1, "chat A, turn 1", 830, 768, tiers("hot", 768), 100 * MS, 20 * MS).getFirst();
    List<String> longRow = DemoTable.row(2, "chat A, turn 2", 1640, 1163,
        tiers("hot", 400, "remote-redis-cluster", 700, "disk", 63), 200 * MS, 30 * MS);
    String header = DemoTable.header();
    int speedupEnd = header.indexOf("speedup") + "speedup".length();
    assertEquals(speedupEnd, shortRow.indexOf("5.0x") + 4, shortRow);
    assertEquals(speedupEnd, longRow.getFirst().indexOf("6.7x") + 4, longRow.getFirst());
    assertEquals(DemoTable.TIER_COLUMN, header.indexOf("reused by tier"));
    assertEquals(DemoTable.TIER_COLUMN, shortRow.indexOf("hot:768"));
    assertTrue(longRow.size() > 1, "a breakdown that does not fit continues on the next lines");
    for (String l : longRow.subList(1, longRow.size())) {
      assertTrue(l.isBlank() == false && l.length() <= DemoTable.WIDTH && l.substring(0, Math.min(l.length(), 20)).isBlank(), l);
    }
    assertTrue(longRow.getFirst().endsWith("  hot:400"), longRow.getFirst());
    assertEquals(List.of("remote-redis-cluster:700", "disk:63"), longRow.subList(1, longRow.size()).stream().map(String::trim).toList());
    assertEquals(DemoTable.TIER_COLUMN, longRow.getLast().indexOf("disk:63"));
    List<String> twoTiers = DemoTable.row(4, "manual: write-back", 2284, 2283, tiers("hot", 1024, "disk", 1259), 1335 * MS, 110 * MS);
    assertEquals(1, twoTiers.size(), "a CPU and an SSD tier fit on the row: " + twoTiers);
  }

  @Test
  void theTierBreakdown_sumsToTheTokensReused() {
    // a whole prompt found cached: the last token is computed again for its logits
    Map<String, Integer> byTier = DemoTable.reusedByTier(tiers("hot", 0, "disk", 1164), 1163);
    assertEquals(tiers("hot", 0, "disk", 1163), byTier);
    assertEquals(tiers("hot", 256, "disk", 0), DemoTable.reusedByTier(tiers("hot", 256, "disk", 20), 256));
    assertEquals(tiers("hot", 200, "disk", 0), DemoTable.reusedByTier(tiers("hot", 256, "disk", 20), 200));
    String row = DemoTable.row(3, "manual + order", 1164, 1163, byTier, 900 * MS, 40 * MS).getFirst();
    String[] cells = row.substring(0, DemoTable.TIER_COLUMN).trim().split(" +");
    assertEquals("1164", cells[cells.length - 5], "prompt: " + row);
    assertEquals("1163", cells[cells.length - 4], "reused: " + row);
    assertTrue(row.endsWith("  disk:1163") && !row.contains("hot:"), row);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DemoTable.row(3, "x", 1164, 1163, tiers("disk", 1164), MS, MS));
    assertTrue(e.getMessage().contains("sums to 1164 (expected: the 1163 tokens reused)"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> DemoTable.reusedByTier(tiers("disk", 10), 11));
  }

  @Test
  void speedup_isColdOverWarm_inTheRowsAndInTheSummary() {
    assertEquals("4.0x", DemoTable.speedup(100 * MS, 25 * MS, 512));
    assertEquals("0.5x", DemoTable.speedup(25 * MS, 50 * MS, 512), "a slower warm run shows below 1x, not hidden");
    String summary = String.join("\n", DemoTable.ttftSummary(400 * MS, 100 * MS, 3, 4));
    assertTrue(summary.contains("(cold / warm): 4.0x over the 3 requests") && summary.contains("1 reused nothing: no speedup"), summary);
    assertFalse(summary.contains("0.25"), "never the inverse ratio: " + summary);
    assertEquals("250x", DemoTable.speedup(250 * MS, MS, 512));
    assertTrue(DemoTable.header().contains("speedup"));
  }

  @Test
  void aRowWithNothingReused_showsNoSpeedup() {
    // the first request of a fresh run: 960 ms cold against 523 ms warm is warm-up, not the cache
    String row = DemoTable.row(1, "chat A, turn 1", 830, 0, tiers("hot", 0, "disk", 0), 960 * MS, 523 * MS).getFirst();
    assertFalse(row.contains("1.8x"), row);
    String speedupCell = row.substring(DemoTable.header().indexOf("speedup"), DemoTable.header().indexOf("speedup") + 7).trim();
    assertEquals("-", speedupCell, row);
    assertTrue(row.endsWith("-"), "no tiers: " + row);
    assertTrue(DemoTable.ttftSummary(0, 0, 0, 2).getFirst().contains("none to show"));
  }

  @Test
  void offload_saysWhatItMeasures_andSaysPlainlyWhenPrefetchWasSlower() {
    List<Double> resident = List.of(1000.0, 1010.0, 990.0);
    List<String> slower = DemoTable.offload(511, 2, 4, "6.0 MiB", "8.0 MiB", resident, List.of(850.0, 860.0, 840.0), List.of(900.0, 905.0, 880.0));
    String text = String.join("\n", slower);
    assertTrue(text.contains("Measures prompt tokens per second") && text.contains("511-token prompt") && text.contains("median of 3 passes"), text);
    assertTrue(text.contains("In this run prefetch was slower than no prefetch (0.94x its throughput)."), text);
    assertTrue(text.contains("0.85x resident") && text.contains("0.90x resident"), text);
    List<String> faster = DemoTable.offload(511, 2, 4, "6.0 MiB", "8.0 MiB", resident, List.of(980.0, 990.0, 970.0), List.of(900.0, 905.0, 880.0));
    assertFalse(String.join("\n", faster).contains("slower"), String.join("\n", faster));
    for (String l : slower) {
      assertTrue(l.length() <= DemoTable.WIDTH, l);
    }
    for (String l : DemoTable.ttftSummary(123_456 * MS, 1_234 * MS, 999, 1_999)) {
      assertTrue(l.length() <= DemoTable.WIDTH, l);
    }
    assertThrows(IllegalArgumentException.class, () -> DemoTable.offload(511, 2, 4, "a", "b", resident, List.of(1.0), List.of(1.0)));
  }
}
