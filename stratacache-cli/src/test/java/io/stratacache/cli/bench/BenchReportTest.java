package io.stratacache.cli.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/** One run of the bench on a tiny plan, then checks of what it wrote. */
class BenchReportTest {
  static final BenchPlan TINY = new BenchPlan(List.of(4096L, 65536L), 2, 5, 5,
      32, 1024, List.of(0.5, 2.0), List.of(0.9), 2_000, 2, List.of(),
      List.of(64, 128), 2, List.of(32), 2);

  @TempDir
  static Path dir;
  static BenchReport.Report report;
  static final List<String> phases = new ArrayList<>();

  @BeforeAll
  static void runTheTinyPlan() {
    report = BenchReport.run(TINY, "tiny", "test", dir.resolve("report"), (phase, done, total) -> {
      assertTrue(done >= 0 && done <= total, phase + " " + done + "/" + total);
      if (phases.isEmpty() || !phases.getLast().equals(phase)) {
        phases.add(phase);
      }
    });
  }

  @Test
  void writesTheMarkdownTheCsvAndOnePlotPerChart() {
    assertTrue(Files.isRegularFile(report.markdown()) && Files.isRegularFile(report.csv()));
    List<String> ids = report.results().charts().stream().map(ChartSpec::id).toList();
    assertEquals(List.of("throughput-store", "throughput-load", "hit-rate-zipf-0.90", "ttft", "ttft-speedup", "offload"), ids);
    assertEquals(ids.stream().map(id -> report.dir().resolve(id + ".png")).toList(), report.plots());
    assertEquals(List.of("throughput", "hit rate", "time to first token", "parameter offload"), phases);
  }

  @Test
  void theMarkdownNamesTheMachineAndShowsEveryPlot() throws IOException {
    String md = Files.readString(report.markdown());
    Machine m = report.results().machine();
    assertTrue(md.contains(m.cpu()) && md.contains(m.cores() + " cores") && md.contains(m.jdk()) && md.contains(m.date().toString()), md);
    for (Path png : report.plots()) {
      assertTrue(md.contains("](" + png.getFileName() + ")"), png + " is linked from the report");
    }
  }

  @Test
  void thePlotsHoldTheExpectedSeries_atEveryPoint() {
    boolean redis = RedisServer.executable() != null;
    List<String> throughput = new ArrayList<>(List.of(MemoryContenders.COPY, ThroughputBench.CPU, ThroughputBench.CXL, RawFile.NAME,
        ThroughputBench.SSD, MemoryContenders.EHCACHE, MemoryContenders.CAFFEINE));
    if (redis) {
      throughput.addAll(List.of(RedisServer.Lettuce.NAME, ThroughputBench.REDIS));
    }
    assertSeries("throughput-store", throughput, new double[] {4, 64});
    assertSeries("throughput-load", throughput, new double[] {4, 64});
    assertSeries("hit-rate-zipf-0.90", HitRateBench.available(), new double[] {0.5, 2});
    assertSeries("ttft", List.of(TtftBench.COLD, TtftBench.WARM), new double[] {64, 128});
    assertSeries("ttft-speedup", List.of(TtftBench.RATIO), new double[] {64, 128});
    assertSeries("offload", List.of(OffloadBench.RESIDENT, OffloadBench.PREFETCH, OffloadBench.NO_PREFETCH), new double[] {32});
  }

  private static void assertSeries(String id, List<String> names, double[] xs) {
    XYChart chart = Plots.chart(report.results(), report.results().chart(id));
    Map<String, XYSeries> series = chart.getSeriesMap();
    assertEquals(names, List.copyOf(series.keySet()), id);
    for (XYSeries s : series.values()) {
      assertArrayEquals(xs, s.getXData(), 1e-9, id + " / " + s.getName());
      for (double y : s.getYData()) {
        assertTrue(y > 0 && Double.isFinite(y), id + " / " + s.getName() + ": " + y);
      }
    }
  }

  @Test
  void hitRatesArePercentages_andFallAsTheWorkingSetGrows() {
    for (String policy : HitRateBench.available()) {
      Figure small = report.results().figure("hit-rate-zipf-0.90", policy, 0.5);
      Figure large = report.results().figure("hit-rate-zipf-0.90", policy, 2.0);
      assertTrue(small.max() <= 100 && large.min() >= 0);
      assertTrue(small.median() > large.median(), policy + ": " + small + " vs " + large);
    }
  }

  @Test
  void thePngsAreValidPngFilesOfThePlotsSize() throws IOException {
    byte[] signature = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    for (Path png : report.plots()) {
      try (InputStream in = Files.newInputStream(png); DataInputStream data = new DataInputStream(in)) {
        byte[] head = new byte[8];
        data.readFully(head);
        assertArrayEquals(signature, head, png + " starts with the PNG signature");
        assertEquals(13, data.readInt(), "IHDR length");
        byte[] type = new byte[4];
        data.readFully(type);
        assertEquals("IHDR", new String(type, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(Plots.WIDTH, data.readInt(), png + " width");
        assertEquals(Plots.HEIGHT, data.readInt(), png + " height");
      }
      BufferedImage image = ImageIO.read(png.toFile());
      assertNotNull(image, png + " decodes");
      assertEquals(Plots.WIDTH, image.getWidth());
    }
  }

  @Test
  void theCsvHoldsEverySample_andTheMarkdownShowsTheirMediansAndRatios() throws IOException {
    List<String> lines = Files.readAllLines(report.csv());
    assertEquals(ReportWriter.CSV_HEADER, lines.getFirst());
    Map<String, List<Double>> samples = new LinkedHashMap<>();
    Map<String, String[]> keys = new LinkedHashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = csvFields(line);
      assertEquals(7, f.length, line);
      String key = f[0] + "\u0000" + f[1] + "\u0000" + f[2];
      samples.computeIfAbsent(key, k -> new ArrayList<>()).add(Double.parseDouble(f[6]));
      keys.put(key, f);
      assertEquals(samples.get(key).size(), Integer.parseInt(f[5]), "rounds are numbered in order: " + line);
    }
    assertEquals(report.results().figures().size(), samples.size());
    String md = Files.readString(report.markdown());
    int checked = 0;
    for (var e : samples.entrySet()) {
      String[] f = keys.get(e.getKey());
      ChartSpec spec = report.results().chart(f[0]);
      Figure fromCsv = new Figure(f[0], f[1], Double.parseDouble(f[2]), e.getValue());
      String cell = cell(md, spec, f[1], fromCsv.x());
      assertEquals(ReportWriter.figure(fromCsv), cell, f[0] + " / " + f[1] + " at " + f[2]);
      String base = report.results().baselines().get(f[1]);
      if (base != null && samples.containsKey(f[0] + "\u0000" + base + "\u0000" + f[2])) {
        List<Double> num = e.getValue();
        List<Double> den = samples.get(f[0] + "\u0000" + base + "\u0000" + f[2]);
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < num.size(); i++) {
          ratios.add(num.get(i) / den.get(i));
        }
        assertEquals(ReportWriter.ratio(ratios), cell(md, spec, f[1] + " / " + base, fromCsv.x()), "ratio " + f[1]);
      }
      checked++;
    }
    assertTrue(checked > 20, "checked " + checked);
  }

  /** The fields of one CSV line (RFC 4180 quoting: a quoted field may hold commas and doubled quotes). */
  private static String[] csvFields(String line) {
    List<String> fields = new ArrayList<>();
    StringBuilder f = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          f.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          f.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        fields.add(f.toString());
        f.setLength(0);
      } else {
        f.append(c);
      }
    }
    fields.add(f.toString());
    return fields.toArray(String[]::new);
  }

  /** The cell of row {@code row} under column {@code x} in {@code spec}'s section of the Markdown. */
  private static String cell(String md, ChartSpec spec, String row, double x) {
    int section = md.indexOf("\n## " + Character.toUpperCase(spec.title().charAt(0)) + spec.title().substring(1));
    assertTrue(section >= 0, spec.title());
    int end = md.indexOf("\n## ", section + 1);
    String text = md.substring(section, end < 0 ? md.length() : end);
    String header = null;
    for (String line : text.split("\n")) {
      if (line.startsWith("| series")) {
        header = line;
      }
      if (line.startsWith("| " + row + " |") && header != null) {
        List<String> cols = cells(header);
        List<String> vals = cells(line);
        int i = cols.indexOf(spec.formatX(x));
        assertTrue(i > 0, "column " + spec.formatX(x) + " in " + header);
        return vals.get(i);
      }
    }
    throw new AssertionError("no row '" + row + "' in:\n" + text);
  }

  private static List<String> cells(String line) {
    List<String> out = new ArrayList<>();
    for (String c : line.substring(1, line.length() - 1).split("\\|")) {
      out.add(c.trim());
    }
    return out;
  }

  @Test
  void theTargetsTable_showsEachMeasuredTargetWithItsRatio() throws IOException {
    String md = Files.readString(report.markdown());
    List<Targets.Outcome> outcomes = Targets.check(report.results());
    assertTrue(outcomes.size() >= 11, "every target but Redis's at least: " + outcomes.size());
    for (Targets.Outcome o : outcomes) {
      String line = "| " + o.target().label() + " | " + report.results().chart(o.target().chart()).formatX(o.x()) + " | "
          + ReportWriter.ratio(o.ratios()) + " | " + Targets.threshold(o.target()) + " | " + (o.met() ? "yes" : "**no**") + " |";
      assertTrue(md.contains(line), line + "\nin\n" + md);
    }
  }

  @Test
  void aDirectoryThatIsNotEmpty_isRefusedAndKeepsItsFiles() throws IOException {
    Path busy = Files.createDirectories(dir.resolve("busy"));
    Files.writeString(busy.resolve("keep.txt"), "mine");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BenchReport.run(TINY, "tiny", "test", busy, BenchProgress.none()));
    assertTrue(e.getMessage().contains("outDir: " + busy + " is not empty"), e.getMessage());
    assertEquals(List.of(busy.resolve("keep.txt")), Files.list(busy).toList());
    assertEquals("mine", Files.readString(busy.resolve("keep.txt")));
    assertThrows(IllegalArgumentException.class, () -> BenchReport.run((Mode) null, dir.resolve("x"), BenchProgress.none()));
    assertFalse(Files.exists(dir.resolve("x")));
  }
}
