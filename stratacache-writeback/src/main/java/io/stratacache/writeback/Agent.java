package io.stratacache.writeback;

/**
 * A unit of background work run by an {@link AgentRunner}: the runner calls {@link #doWork()} in a
 * loop on its one thread, together with the other agents it runs, and idles when none of them did
 * anything.
 */
public interface Agent {
  /** A short name for logs (e.g. {@code writeback}). */
  String roleName();

  /**
   * Does whatever work is ready now, without blocking for more; returns how much it did (0 when
   * there was nothing to do). Whatever it throws is counted and logged by the runner, which keeps
   * going.
   */
  int doWork();
}
