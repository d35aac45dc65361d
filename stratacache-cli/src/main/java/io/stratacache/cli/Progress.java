package io.stratacache.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on a terminal stream for a step of known size. Nothing is drawn until the step
 * has taken more than {@value #DELAY_MS} ms, so quick steps stay silent; redraws are limited to
 * ten a second; {@link #close()} erases the bar. When the process is not attached to a terminal
 * (output piped to a file or a CI log) nothing is drawn at all.
 *
 * <p>While a bar is drawn, a shutdown hook is registered that erases it, so that a process ended
 * by Ctrl-C (or any signal that runs shutdown hooks) leaves the shell's prompt on a clean line
 * rather than after a half-drawn bar. {@link #close()} removes the hook.
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
  private boolean visible;
  private boolean exiting;
  private Thread exitHook;
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
  synchronized void step(long n) {
    done = Math.min(total, done + n);
    long now = System.nanoTime();
    if (!interactive || exiting || (now - start) / 1_000_000 < DELAY_MS || (drawn && now - lastDraw < 100_000_000L && done < total)) {
      return;
    }
    lastDraw = now;
    drawn = true;
    visible = true;
    if (exitHook == null) {
      Thread hook = new Thread(this::eraseAtExit, "erase progress bar");
      try {
        Runtime.getRuntime().addShutdownHook(hook);
        exitHook = hook;
      } catch (IllegalStateException shuttingDown) {
        // the process is exiting: nothing more will be drawn after this
      }
    }
    int filled = (int) (WIDTH * done / total);
    out.print(String.format(Locale.ROOT, "\r%-28s [%s%s] %3d%% %5.1fs", label, "#".repeat(filled), ".".repeat(WIDTH - filled),
        100 * done / total, (now - start) / 1e9));
    out.flush();
  }

  /** Whether the bar was ever drawn. */
  synchronized boolean drawn() {
    return drawn;
  }

  /** The shutdown hook that erases the bar, while one is registered. */
  synchronized Thread exitHook() {
    return exitHook;
  }

  /** Erases the bar, so that a line can be printed; the next step draws it again. */
  synchronized void erase() {
    if (visible) {
      out.print("\r" + " ".repeat(28 + WIDTH + 20) + "\r");
      out.flush();
      lastDraw = 0;
      visible = false;
    }
  }

  /**
   * The shutdown hook's work: blanks the current line whether or not the bar is on it (after a
   * printed line it is empty but for the terminal's echo of {@code ^C}), and leaves the cursor at
   * its start. Nothing is drawn after it: other threads run on while the process shuts down.
   */
  synchronized void eraseAtExit() {
    exiting = true;
    out.print("\r" + " ".repeat(28 + WIDTH + 20) + "\r");
    out.flush();
    visible = false;
  }

  @Override
  public synchronized void close() {
    erase();
    if (exitHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(exitHook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs, and finds nothing to erase
      }
      exitHook = null;
    }
  }
}
