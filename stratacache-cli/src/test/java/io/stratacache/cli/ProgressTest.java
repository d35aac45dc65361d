package io.stratacache.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void aQuickStep_drawsNothing() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), "quick", 3, true)) {
      p.step(3);
      assertFalse(p.drawn());
    }
    assertEquals(0, bytes.size());
  }

  @Test
  void aStepLongerThanTheDelay_drawsABarAndErasesIt() throws InterruptedException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), "slow", 2, true)) {
      p.step(1);
      Thread.sleep(Progress.DELAY_MS + 50);
      p.step(1);
      assertTrue(p.drawn());
    }
    String s = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(s.contains("slow") && s.contains("100%"), s);
    assertTrue(s.endsWith("\r"), "the bar is erased at the end");
  }

  @Test
  void closing_removesTheShutdownHook() throws InterruptedException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), "hooked", 2, true);
    p.step(1);
    Thread.sleep(Progress.DELAY_MS + 50);
    p.step(1);
    Thread hook = p.exitHook();
    assertTrue(hook != null, "a drawn bar registers a hook that erases it at exit");
    p.close();
    assertEquals(null, p.exitHook());
    assertFalse(Runtime.getRuntime().removeShutdownHook(hook), "the hook was removed on close");
  }

  @Test
  void ctrlC_erasesTheBar_andLeavesTheCursorAtTheStartOfABlankLine() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeFalse(sigintIgnored(),
        "SIGINT is ignored by this process (it was started in the background), so a child it starts cannot be interrupted");
    String javaBin = ProcessHandle.current().info().command().orElseThrow();
    Process probe = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), ProgressExitProbe.class.getName())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    StringBuilder seen = new StringBuilder();
    var err = probe.getErrorStream();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (seen.indexOf("%") < 0 && System.nanoTime() < deadline) {
      int b = err.read();
      if (b < 0) {
        break;
      }
      seen.append((char) b);
    }
    assertTrue(seen.toString().contains("probe"), "the bar was drawn: " + seen);
    Process kill = new ProcessBuilder("kill", "-INT", Long.toString(probe.pid())).start();
    assertEquals(0, kill.waitFor());
    assertTrue(probe.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "the probe ends on SIGINT");
    seen.append(new String(err.readAllBytes(), StandardCharsets.UTF_8));
    String s = seen.toString();
    String erase = "\r" + " ".repeat(78) + "\r";
    assertTrue(s.endsWith(erase), "the last thing written blanks the line: " + s.substring(Math.max(0, s.length() - 120)).replace("\r", "\\r"));
    assertEquals(130, probe.exitValue(), "the exit status of a process ended by SIGINT");
  }

  /**
   * Whether this process ignores SIGINT (as a command started in the background by a shell
   * without job control does); its children inherit that, and a JVM then installs no handler.
   */
  private static boolean sigintIgnored() throws java.io.IOException {
    java.nio.file.Path status = java.nio.file.Path.of("/proc/self/status");
    if (!java.nio.file.Files.isReadable(status)) {
      return false;
    }
    for (String line : java.nio.file.Files.readAllLines(status)) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << (2 - 1))) != 0;
      }
    }
    return false;
  }

  @Test
  void withoutATerminal_nothingIsDrawnEvenForALongStep() throws InterruptedException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), "piped", 2, false)) {
      p.step(1);
      Thread.sleep(Progress.DELAY_MS + 50);
      p.step(1);
      assertFalse(p.drawn());
    }
    assertEquals(0, bytes.size());
  }
}
