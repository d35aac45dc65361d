package io.stratacache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class LogCaptureTest {
  private static final String PARENT = "io.stratacache.testkit.logcapturetest";
  private static final String CHILD = PARENT + ".child";

  /** A handler on the parent logger: what would reach the build's output. */
  private static final class Recorder extends Handler {
    final List<String> seen = new ArrayList<>();

    @Override
    public synchronized void publish(LogRecord r) {
      seen.add(r.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  @Test
  void capturesLinesInOrder_keepsThemFromTheParents_andRestoresTheLoggerOnClose() {
    Logger parent = Logger.getLogger(PARENT);
    Logger child = Logger.getLogger(CHILD);
    Recorder upstairs = new Recorder();
    parent.addHandler(upstairs);
    try {
      LogCapture log = LogCapture.of(CHILD);
      try (log) {
        assertFalse(child.getUseParentHandlers());
        child.info("first");
        child.warning("second {0}");
        child.severe("third");
      }
      assertEquals(List.of("INFO first", "WARNING second {0}", "SEVERE third"), log.lines());
      assertEquals(List.of("WARNING second {0}", "SEVERE third"), log.lines(Level.WARNING));
      assertEquals(List.of("second {0}"), log.messages(Level.WARNING));
      assertEquals(List.of(), upstairs.seen, "captured lines reach no parent handler");

      assertTrue(child.getUseParentHandlers(), "close gives the parents back");
      assertEquals(0, child.getHandlers().length, "close removes the capture");
      child.info("after");
      assertEquals(3, log.lines().size(), "nothing is captured after close");
      assertEquals(List.of("after"), upstairs.seen);
    } finally {
      parent.removeHandler(upstairs);
    }
  }

  @Test
  void aLoggerThatHadNoParentsBeforeHasNoneAfter() {
    Logger logger = Logger.getLogger(PARENT + ".detached");
    logger.setUseParentHandlers(false);
    try {
      LogCapture.of(logger.getName()).close();
      assertFalse(logger.getUseParentHandlers());
    } finally {
      logger.setUseParentHandlers(true);
    }
  }

  @Test
  void aNullNameIsRefused() {
    assertThrows(NullPointerException.class, () -> LogCapture.of((String) null));
  }
}
