package io.stratacache.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What one {@link java.util.logging} logger publishes while the capture is open, for tests that
 * assert on the lines a layer or the engine logs. While open, the logger's records go to the
 * capture only, not to its parents' handlers, so lines a test provokes on purpose stay out of the
 * build's output; {@link #close()} restores the logger. Thread-safe.
 *
 * <pre>{@code
 * try (LogCapture log = LogCapture.of(StorageEngine.class)) {
 *   ...
 *   assertEquals(List.of("INFO optional tier 'disk' ..."), log.lines());
 * }
 * }</pre>
 */
public final class LogCapture implements AutoCloseable {
  private final Logger logger; // held: the logging system keeps only weak references to loggers
  private final boolean parentsBefore;
  private final List<LogRecord> records = new ArrayList<>();
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord r) {
      synchronized (records) {
        records.add(r);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  private LogCapture(Logger logger) {
    this.logger = logger;
    this.parentsBefore = logger.getUseParentHandlers();
    logger.addHandler(handler);
    logger.setUseParentHandlers(false);
  }

  /** Captures the logger called {@code name} (a class's or a package's name). */
  public static LogCapture of(String name) {
    return new LogCapture(Logger.getLogger(Objects.requireNonNull(name, "name")));
  }

  /** Captures the logger of {@code type}. */
  public static LogCapture of(Class<?> type) {
    return of(type.getName());
  }

  /** Every record so far, as {@code "LEVEL message"} (the message unformatted), in order. */
  public List<String> lines() {
    return lines(Level.ALL);
  }

  /** The records so far at {@code atLeast} or above, as {@code "LEVEL message"}, in order. */
  public List<String> lines(Level atLeast) {
    List<String> out = new ArrayList<>();
    for (LogRecord r : snapshot()) {
      if (r.getLevel().intValue() >= atLeast.intValue()) {
        out.add(r.getLevel() + " " + r.getMessage());
      }
    }
    return out;
  }

  /** The messages (unformatted) of the records so far at exactly {@code level}, in order. */
  public List<String> messages(Level level) {
    List<String> out = new ArrayList<>();
    for (LogRecord r : snapshot()) {
      if (r.getLevel().equals(level)) {
        out.add(r.getMessage());
      }
    }
    return out;
  }

  private List<LogRecord> snapshot() {
    synchronized (records) {
      return List.copyOf(records);
    }
  }

  /** Stops capturing and gives the logger its parents' handlers back as they were. */
  @Override
  public void close() {
    logger.removeHandler(handler);
    logger.setUseParentHandlers(parentsBefore);
  }
}
