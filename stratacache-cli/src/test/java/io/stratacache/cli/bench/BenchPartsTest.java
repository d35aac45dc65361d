package io.stratacache.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench's small parts: plans, modes, traces, formats. */
class BenchPartsTest {
  @Test
  void modes_haveTheirPlans_andUnknownNamesAreRefused() {
    assertEquals(Mode.QUICK, Mode.forName("Quick"));
    assertEquals(Mode.FULL, Mode.forName("full"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mode.forName("fast"));
    assertEquals("mode: fast (expected: quick or full)", e.getMessage());
    BenchPlan quick = Mode.QUICK.plan();
    BenchPlan full = Mode.FULL.plan();
    assertTrue(full.sizes().containsAll(quick.sizes()) && full.sizes().size() > quick.sizes().size());
    assertTrue(full.rounds() >= quick.rounds() && full.promptLengths().size() > quick.promptLengths().size());
  }

  @Test
  void aPlan_refusesNonsense_namingTheParameter() {
    BenchPlan q = BenchPlan.quick();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BenchPlan(List.of(1000L, 7L), 1, 1, 0, 1, 1,
        q.workingSets(), q.skews(), 100, 1, List.of(), q.promptLengths(), 1, q.offloadPrompts(), 1));
    assertEquals("sizes: 7 (expected: a positive multiple of 8 bytes)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new BenchPlan(q.sizes(), 0, 1, 0, 1, 1,
        q.workingSets(), q.skews(), 100, 1, List.of(), q.promptLengths(), 1, q.offloadPrompts(), 1));
    assertEquals("rounds: 0 (expected: > 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new BenchPlan(q.sizes(), 1, 1, 0, 1, 1,
        q.workingSets(), q.skews(), 100, 1, List.of(), List.of(16), 1, q.offloadPrompts(), 1));
    assertEquals("promptLengths: 16 (expected: 32 tokens or more)", e.getMessage());
  }

  @Test
  void anUnknownPolicy_isRefusedBeforeAnythingRuns() {
    BenchPlan q = BenchPlan.quick();
    BenchPlan plan = new BenchPlan(q.sizes(), 1, 1, 0, 8, 64, q.workingSets(), q.skews(), 100, 1, List.of("lru", "clock-pro"),
        q.promptLengths(), 1, q.offloadPrompts(), 1);
    HitRateBench bench = new HitRateBench(plan, new BenchResults(Machine.current(), "test"), BenchProgress.none());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bench::policies);
    assertTrue(e.getMessage().contains("clock-pro"), e.getMessage());
    List<String> available = HitRateBench.available();
    assertTrue(available.containsAll(List.of("lru", "fifo")), "the stock policies are always measured: " + available);
    assertEquals(HitRateBench.POLICIES.stream().filter(available::contains).toList(), available, "in the report's order");
  }

  @Test
  void zipfTraces_areSkewedBySAndReproducibleBySeed() {
    int[] counts = new int[100];
    ZipfTrace t = new ZipfTrace(100, 1.0, 42);
    for (int i = 0; i < 100_000; i++) {
      counts[t.next()]++;
    }
    // with s = 1 key 0 has about 1 / H(100) = 19% of the accesses and key 1 half as many
    assertTrue(counts[0] > 17_000 && counts[0] < 22_000, "key 0: " + counts[0]);
    assertTrue(Math.abs(counts[1] * 2 - counts[0]) < 2_000, counts[0] + " vs " + counts[1]);
    int[] uniform = new int[10];
    ZipfTrace u = new ZipfTrace(10, 0, 1);
    for (int i = 0; i < 100_000; i++) {
      uniform[u.next()]++;
    }
    for (int c : uniform) {
      assertTrue(c > 9_000 && c < 11_000, "uniform: " + c);
    }
    ZipfTrace a = new ZipfTrace(1000, 0.9, 7);
    ZipfTrace b = new ZipfTrace(1000, 0.9, 7);
    for (int i = 0; i < 1000; i++) {
      assertEquals(a.next(), b.next());
    }
    assertThrows(IllegalArgumentException.class, () -> new ZipfTrace(0, 1, 1));
  }

  @Test
  void formats_ofValuesSizesAndRatios() {
    assertEquals("12.3", ReportWriter.number(12.34));
    assertEquals("0.352", ReportWriter.number(0.3521));
    assertEquals("1234", ReportWriter.number(1234.4));
    assertEquals("100", ReportWriter.number(99.97));
    assertEquals("100", ReportWriter.number(100));
    assertEquals("99.9", ReportWriter.number(99.94));
    assertEquals("50.0 ±0.2%", ReportWriter.figure(new Figure("t", "s", 1, List.of(49.9, 50.0, 50.1))));
    ChartSpec kib = new ChartSpec("t", "t", "x", "y", "KiB", "GB/s", true, true);
    assertEquals("64 KiB", kib.formatX(64));
    assertEquals("4 MiB", kib.formatX(4096));
    assertEquals("0.5x", new ChartSpec("h", "h", "x", "y", "x", "%", true, false).formatX(0.5));
    assertEquals("1.00× (0.90–1.20)", ReportWriter.ratio(List.of(0.9, 1.0, 1.2)));
    assertEquals("10.0 ±10%", ReportWriter.figure(new Figure("t", "s", 1, List.of(9.0, 10.0, 11.0))));
    assertEquals(List.of(2.0, 0.5), BenchResults.pairedRatios(new Figure("t", "a", 1, List.of(2.0, 1.0)), new Figure("t", "b", 1, List.of(1.0, 2.0))));
    assertThrows(IllegalArgumentException.class, () -> new ChartSpec("Bad Id", "t", "x", "y", "x", "u", false, false));
  }

  @Test
  void targets_areCheckedAtTheLargestPointUpTo16MiB_roundByRound() {
    BenchResults r = new BenchResults(Machine.current(), "test");
    r.add(new ChartSpec(ThroughputBench.STORE, "store", "x", "y", "KiB", "GB/s", true, true));
    for (double kib : new double[] {1024, 16384, 32768}) {
      r.add(new Figure(ThroughputBench.STORE, MemoryContenders.COPY, kib, List.of(10.0, 10.0, 10.0)));
      r.add(new Figure(ThroughputBench.STORE, ThroughputBench.CPU, kib, List.of(kib == 16384 ? 8.0 : 9.5, 9.5, 9.5)));
      r.add(new Figure(ThroughputBench.STORE, MemoryContenders.EHCACHE, kib, List.of(2.0, 3.0, 4.0)));
    }
    List<Targets.Outcome> o = Targets.check(r);
    assertEquals(List.of("CPU tier store / plain copy", "CPU tier store / Ehcache 3 off-heap put"), o.stream().map(x -> x.target().label()).toList());
    assertEquals(16384, o.get(0).x());
    assertEquals(List.of(0.8, 0.95, 0.95), o.get(0).ratios());
    assertTrue(o.get(0).met(), "the median of round-by-round ratios: 0.95");
    assertEquals(List.of(4.0, 9.5 / 3, 9.5 / 4), o.get(1).ratios());
    assertTrue(o.get(1).met());
    assertEquals("≥ 3×", Targets.threshold(o.get(1).target()));
    assertEquals("≥ 0.90×", Targets.threshold(o.get(0).target()));
  }

  @Test
  void ttftPrompts_cacheFifteenSixteenthsInWholeChunks() {
    assertEquals(256, TtftBench.chunkSize(4096));
    assertEquals(3840, TtftBench.cachedTokens(4096));
    assertEquals(32, TtftBench.chunkSize(512));
    assertEquals(480, TtftBench.cachedTokens(512));
    assertEquals(16, TtftBench.chunkSize(64));
    assertEquals(48, TtftBench.cachedTokens(64));
  }
}
