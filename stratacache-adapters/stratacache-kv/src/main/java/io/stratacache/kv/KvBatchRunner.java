package io.stratacache.kv;

import io.stratacache.core.StrataCacheException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Where a cache's background and batch work runs: layer-wise retrieves and the requests of a
 * batch, each on its own task. The executor is either the caller's (left running on {@link
 * #close()}) or a virtual thread per task that this runner owns and closes. Thread-safe.
 */
final class KvBatchRunner {
  private final ExecutorService executor;
  private final boolean owned;

  /** Runs on {@code executor}, or, if {@code null}, on its own virtual threads. */
  KvBatchRunner(ExecutorService executor) {
    this.owned = executor == null;
    this.executor = owned ? Executors.newVirtualThreadPerTaskExecutor() : executor;
  }

  /** Runs {@code task} in the background. */
  void execute(Runnable task) {
    executor.execute(task);
  }

  /**
   * Applies {@code op} to every input concurrently and returns the results in the order given.
   * If some fail, the first failure in input order is thrown once all have finished.
   *
   * @throws StrataCacheException if interrupted while waiting (the rest are cancelled, the
   *     interrupt flag kept)
   */
  <T, R> List<R> runAll(List<T> inputs, Function<T, R> op) {
    List<Future<R>> futures = new ArrayList<>(inputs.size());
    for (T in : inputs) {
      futures.add(executor.submit(() -> op.apply(in)));
    }
    List<R> out = new ArrayList<>(inputs.size());
    RuntimeException first = null;
    for (Future<R> f : futures) {
      try {
        out.add(f.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        futures.forEach(x -> x.cancel(true));
        throw new StrataCacheException("interrupted while waiting for a batch of " + inputs.size(), e);
      } catch (ExecutionException e) {
        if (first == null) {
          first = e.getCause() instanceof RuntimeException re
              ? re
              : new StrataCacheException("batch request failed: " + e.getCause(), e.getCause());
        }
      }
    }
    if (first != null) {
      throw first;
    }
    return out;
  }

  /** Closes the executor if this runner made it, waiting for its running tasks. */
  void close() {
    if (owned) {
      executor.close();
    }
  }
}
