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
