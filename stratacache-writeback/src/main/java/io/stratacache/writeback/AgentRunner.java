package io.stratacache.writeback;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * One background thread that runs a set of {@link Agent}s in turn: an engine's write-back worker
 * and its maintenance share one runner instead of a thread each.
 *
 * <p>Design: the thread calls every agent's {@link Agent#doWork()} once per round; when a round
 * did nothing it parks for the idle period, or until {@link #wake()}. An agent that throws is
 * counted ({@link #errorCount()}) and reported to the error handler (by default, logged), and the thread goes on with the next agent; a
 * {@link VirtualMachineError} ends the thread. {@link #close()} stops the thread after the round
 * in progress and waits for it (bounded).
 */
public final class AgentRunner implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(AgentRunner.class.getName());

  private final String name;
  private final long idleNanos;
  private final BiConsumer<Agent, RuntimeException> errorHandler;
  private final List<Agent> agents = new CopyOnWriteArrayList<>();
  private final AtomicLong errors = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean started;

  /**
   * A runner whose thread is called {@code name}, idling {@code idleNanos} between rounds that
   * did nothing; {@link #start()} starts it.
   *
   * @throws IllegalArgumentException if {@code idleNanos} is not positive
   */
  public AgentRunner(String name, long idleNanos) {
    this(name, idleNanos, (agent, e) -> LOG.log(System.Logger.Level.ERROR, "agent " + agent.roleName() + " on " + name
        + ": unexpected failure", e));
  }

  /**
   * As {@link #AgentRunner(String, long)}, telling {@code errorHandler} (which must not throw;
   * what it throws is ignored) of each failure an agent throws instead of logging it.
   */
  public AgentRunner(String name, long idleNanos, BiConsumer<Agent, RuntimeException> errorHandler) {
    Objects.requireNonNull(name, "name");
    this.errorHandler = Objects.requireNonNull(errorHandler, "errorHandler");
    if (idleNanos <= 0) {
      throw new IllegalArgumentException("idleNanos: " + idleNanos + " (expected: > 0)");
    }
    this.name = name;
    this.idleNanos = idleNanos;
    this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::run);
  }

  /** Adds {@code agent} to the agents run in each round; may be called before or after {@link #start()}. */
  public void add(Agent agent) {
    agents.add(Objects.requireNonNull(agent, "agent"));
  }

  /** Starts the thread; idempotent. */
  public synchronized void start() {
    if (!started && running) {
      started = true;
      thread.start();
    }
  }

  /** Makes the thread start a round now if it is idle. */
  public void wake() {
    LockSupport.unpark(thread);
  }

  /** Whether {@code current} is this runner's thread. */
  public boolean isRunnerThread(Thread current) {
    return current == thread;
  }

  private void run() {
    while (running) {
      int done = 0;
      for (Agent agent : agents) {
        if (!running) {
          break;
        }
        try {
          done += agent.doWork();
        } catch (RuntimeException e) {
          errors.incrementAndGet();
          try {
            errorHandler.accept(agent, e);
          } catch (RuntimeException ignored) {
            // the handler's own failure must not stop the runner
          }
        }
      }
      if (done == 0 && running) {
        LockSupport.parkNanos(this, idleNanos);
      }
    }
  }

  /** Failures thrown out of an agent's {@code doWork} so far. */
  public long errorCount() {
    return errors.get();
  }

  /** Whether the thread is running. */
  public boolean isAlive() {
    return thread.isAlive();
  }

  /** Stops the thread after the round in progress and waits up to 5 seconds for it; idempotent. */
  @Override
  public void close() {
    running = false;
    LockSupport.unpark(thread);
    if (started && Thread.currentThread() != thread) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
