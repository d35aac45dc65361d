package io.stratacache.fault;

import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Raises the level of the chain's and the write-back worker's loggers to SEVERE for a test class
 * that injects faults on purpose, so that the warning each injected failure logs does not flood
 * the output of a passing run. Register with {@code @RegisterExtension}.
 */
public final class QuietLogs implements BeforeAllCallback, AfterAllCallback {
  private static final String[] NAMES = {"io.stratacache.tiering.TierChain", "io.stratacache.writeback.WritebackWorker"};
  private final Logger[] loggers = new Logger[NAMES.length]; // held: the logging system keeps only weak references
  private final Level[] before = new Level[NAMES.length];

  @Override
  public void beforeAll(ExtensionContext context) {
    for (int i = 0; i < NAMES.length; i++) {
      loggers[i] = Logger.getLogger(NAMES[i]);
      before[i] = loggers[i].getLevel();
      loggers[i].setLevel(Level.SEVERE);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    for (int i = 0; i < NAMES.length; i++) {
      loggers[i].setLevel(before[i]);
    }
  }
}
