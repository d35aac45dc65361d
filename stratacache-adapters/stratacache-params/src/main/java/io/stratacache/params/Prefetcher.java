package io.stratacache.params;

import io.stratacache.core.StrataCacheException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Loads groups of parameter tensors (typically one group per layer) from the plane into a
 * {@link StagingPool} ahead of use.
 *
 * <p>Design note. A {@link Pass} is given the groups in the order they will be needed. When the
 * caller awaits group {@code i}, groups {@code i+1 .. i+depth} are queued to one loader thread,
 * which stages them in order, each into one pool region with its tensors laid out
 * {@link StagingPool#ALIGNMENT}-aligned, so that a layer's next {@code depth} layers load while
 * it computes. The pool bounds the bytes staged at once: when it is full the loader waits for the
 * caller to {@link Pass#release release} a group, so memory never exceeds the budget whatever
 * the depth. With depth 0 nothing is loaded ahead: {@code await} loads on the calling thread.
 *
 * <p>A caller releases group {@code i} before awaiting group {@code i+1} when the pool holds
 * fewer than two groups (otherwise the loader could wait for space the caller is holding).
 */
public final class Prefetcher implements AutoCloseable {
  private final ParamClient client;
  private final StagingPool pool;
  private final int depth;
  private final ExecutorService loader;
  private final AtomicLong groups = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong loadNanos = new AtomicLong();
  private final AtomicLong waitNanos = new AtomicLong();

  /**
   * A prefetcher staging up to {@code depth} groups ahead into {@code pool}.
   *
   * @throws IllegalArgumentException if {@code depth} is negative
   */
  public Prefetcher(ParamClient client, StagingPool pool, int depth) {
    this.client = Objects.requireNonNull(client, "client");
    this.pool = Objects.requireNonNull(pool, "pool");
    if (depth < 0) {
      throw new IllegalArgumentException("depth: " + depth + " (expected: >= 0)");
    }
    this.depth = depth;
    this.loader = depth == 0 ? null : Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "stratacache-prefetch");
      t.setDaemon(true);
      return t;
    });
  }

  /** Groups loaded ahead of the one awaited. */
  public int depth() {
    return depth;
  }

  /** The pool groups are staged into. */
  public StagingPool pool() {
    return pool;
  }

  /**
   * Staging bytes one group takes: its tensors laid end to end, each starting
   * {@link StagingPool#ALIGNMENT}-aligned. A pool of {@code (depth + 1)} times the largest group
   * lets the loader run {@code depth} groups ahead.
   */
  public static long groupBytes(List<ParamTensor> group) {
    long total = 0;
    for (ParamTensor t : group) {
      total = (total + t.byteSize() + StagingPool.ALIGNMENT - 1) / StagingPool.ALIGNMENT * StagingPool.ALIGNMENT;
    }
    return total;
  }

  /** A snapshot of the counters. */
  public PrefetchStats stats() {
    return new PrefetchStats(groups.get(), bytes.get(), loadNanos.get(), waitNanos.get());
  }

  /**
   * Starts a pass over {@code order}: group {@code i} is the list of tensors needed at step
   * {@code i}. Groups {@code 0 .. depth-1} start loading at once.
   *
   * @throws IllegalArgumentException if {@code order} or a group is empty
   */
  public Pass start(List<List<ParamTensor>> order) {
    return new Pass(order);
  }

  /** Stops the loader thread (after the group it is loading, if any). */
  @Override
  public void close() {
    if (loader != null) {
      loader.shutdownNow();
      try {
        loader.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** One group staged in the pool: its tensors' bytes, valid until released. */
  public static final class StagedGroup {
    private final int index;
    private final StagingPool.Region region;
    private final long[] offsets;
    private final long[] sizes;

    private StagedGroup(int index, StagingPool.Region region, long[] offsets, long[] sizes) {
      this.index = index;
      this.region = region;
      this.offsets = offsets;
      this.sizes = sizes;
    }

    /** The group's position in the pass. */
    public int index() {
      return index;
    }

    /**
     * Tensor {@code i} of the group, {@link StagingPool#ALIGNMENT}-aligned.
     *
     * @throws IllegalStateException if the group was released
     */
    public MemorySegment tensor(int i) {
      Objects.checkIndex(i, offsets.length);
      return region.segment().asSlice(offsets[i], sizes[i]);
    }
  }

  /**
   * A walk through groups in a fixed order; close it to give back whatever is still staged. Used
   * by one thread at a time.
   */
  public final class Pass implements AutoCloseable {
    private final List<List<ParamTensor>> order;
    private final List<CompletableFuture<StagedGroup>> futures;
    private int scheduled;
    private volatile boolean closed;

    private Pass(List<List<ParamTensor>> order) {
      if (order.isEmpty()) {
        throw new IllegalArgumentException("order: no groups (expected: at least one)");
      }
      for (int i = 0; i < order.size(); i++) {
        if (order.get(i).isEmpty()) {
          throw new IllegalArgumentException("order: group " + i + " is empty (expected: at least one tensor)");
        }
      }
      this.order = List.copyOf(order);
      this.futures = new ArrayList<>(order.size());
      for (int i = 0; i < order.size(); i++) {
        futures.add(null);
      }
      scheduleUntil(depth - 1);
    }

    /** Number of groups. */
    public int size() {
      return order.size();
    }

    private void scheduleUntil(int last) {
      if (loader == null) {
        return;
      }
      int end = Math.min(last, order.size() - 1);
      while (scheduled <= end) {
        int i = scheduled++;
        futures.set(i, CompletableFuture.supplyAsync(() -> load(i), loader));
      }
    }

    /**
     * Group {@code index}, waiting until it is staged; queues the next {@code depth} groups.
     *
     * @throws io.stratacache.core.ArtifactNotFoundException if a chunk of the group is missing
     * @throws io.stratacache.core.CodecException if a chunk is not what its key says
     * @throws StrataCacheException if the wait was interrupted or the pass was closed
     */
    public StagedGroup await(int index) {
      Objects.checkIndex(index, order.size());
      if (closed) {
        throw new IllegalStateException("prefetch pass is closed");
      }
      long t0 = System.nanoTime();
      try {
        if (loader == null) {
          StagedGroup g = load(index);
          futures.set(index, CompletableFuture.completedFuture(g));
          return g;
        }
        scheduleUntil(index + depth);
        return futures.get(index).join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new StrataCacheException("prefetch of group " + index + " failed: " + e.getCause(), e.getCause());
      } catch (CancellationException e) {
        throw new StrataCacheException("prefetch of group " + index + " was cancelled", e);
      } finally {
        waitNanos.addAndGet(System.nanoTime() - t0);
      }
    }

    /** Gives group {@code index}'s staging memory back; arrays over it must be closed first. */
    public void release(int index) {
      CompletableFuture<StagedGroup> f = futures.get(index);
      if (f != null) {
        f.thenAccept(g -> g.region.close());
      }
    }

    private StagedGroup load(int index) {
      long t0 = System.nanoTime();
      List<ParamTensor> tensors = order.get(index);
      long[] offsets = new long[tensors.size()];
      long[] sizes = new long[tensors.size()];
      long total = 0;
      long payload = 0;
      for (int t = 0; t < tensors.size(); t++) {
        offsets[t] = total;
        sizes[t] = tensors.get(t).byteSize();
        payload += sizes[t];
        total = (total + sizes[t] + StagingPool.ALIGNMENT - 1) / StagingPool.ALIGNMENT * StagingPool.ALIGNMENT;
      }
      StagingPool.Region region;
      try {
        region = pool.acquire(total, () -> closed);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StrataCacheException("prefetch of group " + index + " interrupted while waiting for staging space", e);
      }
      if (region == null) {
        throw new CancellationException("prefetch pass closed");
      }
      boolean success = false;
      try {
        MemorySegment seg = region.segment();
        for (int t = 0; t < tensors.size(); t++) {
          client.getTensorInto(tensors.get(t), seg.asSlice(offsets[t], sizes[t]));
        }
        success = true;
      } finally {
        if (!success) {
          region.close();
        }
      }
      groups.incrementAndGet();
      bytes.addAndGet(payload);
      loadNanos.addAndGet(System.nanoTime() - t0);
      return new StagedGroup(index, region, offsets, sizes);
    }

    /** Stops queued loads and gives back every staged group of this pass. Idempotent. */
    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      pool.wakeWaiters();
      for (CompletableFuture<StagedGroup> f : futures) {
        if (f != null) {
          // Not cancelled: a load already under way finishes and its region is closed here.
          f.whenComplete((g, e) -> {
            if (g != null) {
              g.region.close();
            }
          });
        }
      }
    }
  }
}
