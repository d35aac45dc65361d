package io.stratacache.soak;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Fails a soak when nothing progresses: a daemon thread samples a progress counter and, if it has
 * not moved for {@code stall}, hands a dump of every thread (with the locks each holds and waits
 * for) to {@code onStall}, once.
 */
final class Watchdog implements AutoCloseable {
  private final Thread thread;
  private volatile boolean running = true;

  Watchdog(AtomicLong progress, Duration stall, Consumer<String> onStall) {
    thread = Thread.ofPlatform().name("soak-watchdog").daemon(true).start(() -> {
      long last = progress.get();
      long since = System.nanoTime();
      while (running) {
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
        long now = progress.get();
        if (now != last) {
          last = now;
          since = System.nanoTime();
        } else if (System.nanoTime() - since > stall.toNanos()) {
          onStall.accept("no operation completed for " + stall.toSeconds() + " s; threads:\n" + threadDump());
          return;
        }
      }
    });
  }

  static String threadDump() {
    StringBuilder out = new StringBuilder();
    for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
      out.append('"').append(t.getThreadName()).append("\" ").append(t.getThreadState());
      if (t.getLockName() != null) {
        out.append(" on ").append(t.getLockName());
      }
      if (t.getLockOwnerName() != null) {
        out.append(" owned by \"").append(t.getLockOwnerName()).append('"');
      }
      out.append('\n');
      for (StackTraceElement e : t.getStackTrace()) {
        out.append("    at ").append(e).append('\n');
      }
      for (var l : t.getLockedSynchronizers()) {
        out.append("    holds ").append(l).append('\n');
      }
    }
    return out.toString();
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
  }
}
