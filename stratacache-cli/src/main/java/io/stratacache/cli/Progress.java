package io.stratacache.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on a terminal stream for a step of known size. Nothing is drawn until the step
 * has taken more than {@value #DELAY_MS} ms, so quick steps stay silent; redraws are limited to
 * ten a second; {@link #close()} erases the bar. When the process is not attached to a terminal
 * (output piped to a file or a CI log) nothing is drawn at all.
 */
final class Progress implements AutoCloseable {
  static final long DELAY_MS = 1000;
  private static final int WIDTH = 30;

  private final PrintStream out;
  private final String label;
  private final long total;
  private final long start = System.nanoTime();
  private long done;
  private long lastDraw;
  private boolean drawn;
  private final boolean interactive;

  Progress(PrintStream out, String label, long total) {
    this(out, label, total, System.console() != null && System.console().isTerminal());
  }

  Progress(PrintStream out, String label, long total, boolean interactive) {
    this.interactive = interactive;
    this.out = out;
    this.label = label;
    this.total = Math.max(1, total);
  }

  /** Records {@code n} more units done. */
  void step(long n) {
    done = Math.min(total, done + n);
    long now = System.nanoTime();
    if (!interactive || (now - start) / 1_000_000 < DELAY_MS || (drawn && now - lastDraw < 100_000_000L && done < total)) {
      return;
    }
    lastDraw = now;
    drawn = true;
    int filled = (int) (WIDTH * done / total);
    out.print(String.format(Locale.ROOT, "\r%-28s [%s%s] %3d%% %5.1fs", label, "#".repeat(filled), ".".repeat(WIDTH - filled),
        100 * done / total, (now - start) / 1e9));
    out.flush();
  }

  /** Whether the bar was ever drawn. */
  boolean drawn() {
    return drawn;
  }

  /** Erases the bar, so that a line can be printed; the next step draws it again. */
  void erase() {
    if (drawn) {
      out.print("\r" + " ".repeat(28 + WIDTH + 20) + "\r");
      out.flush();
      lastDraw = 0;
    }
  }

  @Override
  public void close() {
    erase();
  }
}
