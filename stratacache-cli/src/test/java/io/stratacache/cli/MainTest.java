package io.stratacache.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void noCommandOrAnUnknownOne_isAUsageError() {
    assertEquals(Main.USAGE, run());
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("Usage: stratacache"));
    err.reset();
    assertEquals(Main.USAGE, run("frobnicate"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("'frobnicate'"), err.toString(StandardCharsets.UTF_8));
    assertEquals(Main.USAGE, run("demo", "--fast"));
    err.reset();
    assertEquals(Main.USAGE, run("demo", "--model", "no/such/checkpoint"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("(expected: a directory with config.json and model weights)"),
        err.toString(StandardCharsets.UTF_8));
    assertEquals(Main.USAGE, run("demo", "--model"));
    err.reset();
    assertEquals(Main.USAGE, run("bench", "--rounds", "0"));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("stratacache bench: --rounds 0 (expected: a positive integer)"),
        err.toString(StandardCharsets.UTF_8));
    assertEquals(Main.USAGE, run("bench", "--rounds"));
    assertEquals(Main.USAGE, run("bench", "sideways"));
  }

  @Test
  void bench_intoADirectoryThatIsNotEmpty_failsNamingIt_andKeepsItsFiles(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Files.writeString(dir.resolve("notes.txt"), "mine");
    assertEquals(Main.USAGE, run("bench", "--quick", "--out", dir.toString()));
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("stratacache bench failed: --out " + dir + " (expected: a new or empty directory; nothing was written)"), e);
    assertEquals("mine", java.nio.file.Files.readString(dir.resolve("notes.txt")));
    assertEquals(1, java.nio.file.Files.list(dir).count());
    assertEquals(Main.USAGE, run("bench", "--out"));
    assertEquals(Main.USAGE, run("bench", "--fast"));
    assertEquals(Main.USAGE, run("bench", "--quick", "--full"));
  }

  @Test
  void help_printsUsageAndSucceeds() {
    assertEquals(0, run("help"));
    String o = out.toString(StandardCharsets.UTF_8);
    for (String command : new String[] {"demo", "bench", "inspect", "fsck", "repair", "evict", "config", "STRATACACHE_CONFIG"}) {
      assertTrue(o.contains(command), command + " in\n" + o);
    }
  }

  @Test
  void everyCommand_hasHelp() {
    for (String[] command : new String[][] {{"demo"}, {"bench"}, {"inspect"}, {"fsck"}, {"repair"}, {"evict"}, {"config"},
        {"config", "check"}}) {
      out.reset();
      String[] args = java.util.Arrays.copyOf(command, command.length + 1);
      args[command.length] = "--help";
      assertEquals(0, run(args), String.join(" ", args));
      assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("Usage: stratacache " + String.join(" ", command)),
          out.toString(StandardCharsets.UTF_8));
    }
  }

  @Test
  void demo_withABadConfiguration_failsWithOneClearLine() {
    String previous = System.getProperty("stratacache.config");
    System.setProperty("stratacache.config", "/nonexistent/stratacache.yaml");
    try {
      assertEquals(Main.CONFIG, run("demo", "--quick"));
      String e = err.toString(StandardCharsets.UTF_8);
      assertTrue(e.startsWith("stratacache demo failed: /nonexistent/stratacache.yaml"), e);
      assertEquals(1, e.lines().count(), "one line:\n" + e);
    } finally {
      if (previous == null) {
        System.clearProperty("stratacache.config");
      } else {
        System.setProperty("stratacache.config", previous);
      }
    }
  }

  @Test
  void demo_withATierThatCannotOpen_failsNamingFileAndLine_beforeAnyModelWork(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    // found only when the tier opens: another layer holds the directory
    java.nio.file.Path held = dir.resolve("held");
    java.nio.file.Path config = dir.resolve("busy-ssd.yaml");
    java.nio.file.Files.writeString(config, """
        tiers:
          - {name: hot, provider: cpu, capacity: 16MiB}
          - {name: disk, provider: ssd, path: "%s", capacity: 64MiB}
        """.formatted(held));
    String previous = System.getProperty("stratacache.config");
    System.setProperty("stratacache.config", config.toString());
    try (io.stratacache.spi.MemoryLayer holder = io.stratacache.spi.LayerProviders.forName("ssd")
        .open(io.stratacache.spi.LayerSpec.of("holder", "ssd", java.util.Map.of("path", held.toString(), "capacity", "1MiB")))) {
      assertTrue(holder.ids().isEmpty(), "the holder keeps the directory");
      assertEquals(1, run("demo", "--quick"));
      String e = err.toString(StandardCharsets.UTF_8);
      assertTrue(e.contains(config + ":3: tiers[1] (provider ssd) cannot open: ") && e.contains("already open"), e);
      assertEquals("", out.toString(StandardCharsets.UTF_8), "no model work was started");
    } finally {
      if (previous == null) {
        System.clearProperty("stratacache.config");
      } else {
        System.setProperty("stratacache.config", previous);
      }
    }
  }

  @Test
  void demo_quick_runsEndToEnd_andASecondRunFindsThePrefixesOnDisk(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path config = dir.resolve("demo.yaml");
    java.nio.file.Files.writeString(config, """
        tiers:
          - {name: hot, provider: cpu, capacity: 256MiB}
          - {name: disk, provider: ssd, path: "%s", capacity: 1GiB}
        links:
          - {from: hot, to: disk, mode: write-back}
        """.formatted(dir.resolve("ssd")));
    String previous = System.getProperty("stratacache.config");
    System.setProperty("stratacache.config", config.toString());
    try {
      assertEquals(0, run("demo", "--quick"), err.toString(StandardCharsets.UTF_8));
      String first = out.toString(StandardCharsets.UTF_8);
      assertTrue(first.contains("hit rate") && first.contains("disk"), first);
      assertTrue(first.contains("streamed from SSD:") && first.contains("logits equal resident"), first);
      out.reset();
      assertEquals(0, run("demo", "--quick"), err.toString(StandardCharsets.UTF_8));
      String second = out.toString(StandardCharsets.UTF_8);
      assertTrue(second.matches("(?s).*reused tokens by tier: hot:\\d+ disk:[1-9].*"), "a second run reuses chunks from the SSD tier:\n" + second);
      assertTableRules(first);
      assertTableRules(second);
    } finally {
      if (previous == null) {
        System.clearProperty("stratacache.config");
      } else {
        System.setProperty("stratacache.config", previous);
      }
    }
  }

  /**
   * The request table of a demo's output: every line within 80 columns, each row's tiers summing
   * to its reused tokens, and no speedup on a row that reused nothing.
   */
  private static void assertTableRules(String output) {
    List<String> lines = output.lines().toList();
    int header = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(" # request")) {
        header = i;
      }
    }
    assertTrue(header >= 0, "a request table:\n" + output);
    int rows = 0;
    List<String> table = new java.util.ArrayList<>();
    for (String line : lines.subList(header + 1, lines.size())) {
      if (line.isEmpty()) {
        break;
      }
      assertTrue(line.length() <= 80, line.length() + " columns: " + line);
      if (line.substring(0, 3).isBlank()) {
        table.set(table.size() - 1, table.getLast() + " " + line.trim()); // a tier continued on the next line
      } else {
        table.add(line);
      }
    }
    for (String line : table) {
      rows++;
      String[] cells = line.substring(0, DemoTable.TIER_COLUMN).trim().split(" +");
      int reused = Integer.parseInt(cells[cells.length - 4]);
      int sum = 0;
      for (String t : line.substring(DemoTable.TIER_COLUMN).trim().split(" +")) {
        if (t.contains(":")) {
          sum += Integer.parseInt(t.substring(t.indexOf(':') + 1));
        }
      }
      assertEquals(reused, sum, "tiers sum to the tokens reused: " + line);
      if (reused == 0) {
        assertEquals("-", cells[cells.length - 1], "no speedup without reuse: " + line);
      }
    }
    assertTrue(rows > 0, output);
  }

  @Test
  void demo_onAUsersCheckpoint_usesItsTokenizer(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path model = dir.resolve("my-llama");
    io.stratacache.djl.ModelConfig tiny = new io.stratacache.djl.ModelConfig("llama", 64, 128, 2, 4, 2, 16, 1e-5, 10000.0, 259,
        false, true, io.stratacache.core.tensor.DType.BF16);
    io.stratacache.djl.CheckpointGenerator.write(model, tiny, 7, 2);
    io.stratacache.djl.CheckpointGenerator.writeByteLevelTokenizer(model, java.util.List.of("t h"));
    java.nio.file.Path config = dir.resolve("demo.yaml");
    java.nio.file.Files.writeString(config, """
        tiers:
          - {name: hot, provider: cpu, capacity: 256MiB}
        """);
    String previous = System.getProperty("stratacache.config");
    System.setProperty("stratacache.config", config.toString());
    try {
      assertEquals(0, run("demo", "--quick", "--model", model.toString()), err.toString(StandardCharsets.UTF_8));
      String o = out.toString(StandardCharsets.UTF_8);
      assertTrue(o.contains("my-llama (llama), 2 layers, hidden 64, 4/2 heads, rope default, Hugging Face tokenizer tokenizer.json"), o);
      assertTrue(o.contains("hit rate"), o);
    } finally {
      if (previous == null) {
        System.clearProperty("stratacache.config");
      } else {
        System.setProperty("stratacache.config", previous);
      }
    }
  }

  @Test
  void embeddedConfiguration_isACpuTierOverAnSsdTier() {
    var config = DemoCommand.configuration();
    assertEquals(java.util.List.of("cpu", "ssd"), config.tiers().stream().map(t -> t.provider()).toList());
  }

  @Test
  void workload_repeatsPrefixes() {
    var requests = Workload.requests(false);
    String first = requests.getFirst().text();
    int sharing = 0;
    for (var r : requests) {
      if (r.text().startsWith(first.substring(0, first.indexOf("</system>")))) {
        sharing++;
      }
    }
    assertEquals(requests.size(), sharing, "every request starts with the system prompt");
    assertTrue(requests.get(2).text().startsWith(first), "a later turn repeats the earlier conversation");
    assertTrue(Workload.requests(true).size() < requests.size());
  }
}
