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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

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
 * <p>Prefetch never costs more than loading on the calling thread. A group's tensors are claimed
 * one at a time, by whichever thread comes first: the loader, or the caller that awaits the group.
 * So a caller never sleeps while work it could do is waiting: it takes the region (if the loader
 * has not), copies every tensor the loader has not claimed, and copies again any tensor the loader
 * is still copying, instead of waiting for it. On a machine whose cores are all busy computing
 * (the loader thread is then descheduled for whole time slices, and waiting on it costs far more
 * than the copy), the caller does the copies itself, as with depth 0; with a core to spare, the
 * loader does them ahead and the caller finds them done.
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
  private final AtomicLong tensorsByCaller = new AtomicLong();

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
    return new PrefetchStats(groups.get(), bytes.get(), loadNanos.get(), waitNanos.get(), tensorsByCaller.get());
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
   * by one thread at a time (the loader works beside it).
   */
  public final class Pass implements AutoCloseable {
    private final List<List<ParamTensor>> order;
    private final List<GroupLoad> loads;
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
      this.loads = new ArrayList<>(order.size());
      for (int i = 0; i < order.size(); i++) {
        loads.add(null);
      }
      scheduleUntil(depth - 1);
    }

    /** Number of groups. */
    public int size() {
      return order.size();
    }

    /** The load of group {@code i}, made on first need. */
    private GroupLoad load(int i) {
      GroupLoad g = loads.get(i);
      if (g == null) {
        g = new GroupLoad(i, order.get(i));
        loads.set(i, g);
      }
      return g;
    }

    private void scheduleUntil(int last) {
      if (loader == null) {
        return;
      }
      int end = Math.min(last, order.size() - 1);
      while (scheduled <= end) {
        GroupLoad g = load(scheduled++);
        loader.execute(() -> g.work(false));
      }
    }

    /**
     * Group {@code index}, staged: the caller copies whatever part of it the loader has not
     * finished (waiting only for the staging space, if the pool is full). Queues the next {@code
     * depth} groups.
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
        scheduleUntil(index + depth);
        GroupLoad g = load(index);
        g.work(true);
        return g.result.join();
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
      GroupLoad g = loads.get(index);
      if (g != null) {
        g.result.thenAccept(staged -> g.closeRegion());
      }
    }

    /** Stops queued loads and gives back every staged group of this pass. Idempotent. */
    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      pool.wakeWaiters();
      for (GroupLoad g : loads) {
        if (g != null) {
          // Not cancelled: copies under way finish and the group's region is closed here.
          g.result.whenComplete((staged, e) -> {
            if (staged != null) {
              g.closeRegion();
            }
          });
        }
      }
    }

    /**
     * The staging of one group, shared by the loader and the caller. The first to arrive takes
     * the region; then each claims tensors by number until none is left. A caller that finds a
     * tensor still being copied by the loader copies it too rather than wait (the loader may be
     * descheduled for a whole time slice mid-copy): both write the same bytes of the same chunks
     * into the same place, and the first to finish marks the tensor done. The last tensor marked
     * done completes {@link #result}: with the group, or with the first failure of the copy that
     * marked a tensor. The region goes back to the pool only once the group is released (or
     * failed) and no copy into it is under way, so a late duplicate never writes into memory
     * handed to another group.
     */
    private final class GroupLoad {
      private static final int UNCLAIMED = 0;
      private static final int COPYING = 1;
      private static final int DONE = 2;

      final int index;
      final List<ParamTensor> tensors;
      final long[] offsets;
      final long[] sizes;
      final long total;
      final long payload;
      final CompletableFuture<StagedGroup> result = new CompletableFuture<>();
      final AtomicInteger nextTensor = new AtomicInteger();
      final AtomicIntegerArray state;
      final AtomicInteger doneTensors = new AtomicInteger();
      final AtomicReference<Throwable> failure = new AtomicReference<>();
      /** Copies into the region under way. */
      final AtomicInteger copiers = new AtomicInteger();
      final AtomicBoolean closeRequested = new AtomicBoolean();
      final AtomicBoolean regionClosed = new AtomicBoolean();
      /** Set once, under this object's monitor; null until then, and if the pool gave none. */
      private volatile StagingPool.Region region;
      private boolean regionTried;

      GroupLoad(int index, List<ParamTensor> tensors) {
        this.index = index;
        this.tensors = tensors;
        this.offsets = new long[tensors.size()];
        this.sizes = new long[tensors.size()];
        this.state = new AtomicIntegerArray(tensors.size());
        long end = 0;
        long bytes = 0;
        for (int t = 0; t < tensors.size(); t++) {
          offsets[t] = end;
          sizes[t] = tensors.get(t).byteSize();
          bytes += sizes[t];
          end = (end + sizes[t] + StagingPool.ALIGNMENT - 1) / StagingPool.ALIGNMENT * StagingPool.ALIGNMENT;
        }
        this.total = end;
        this.payload = bytes;
      }

      /** Takes the region if nobody has; false if there is none to work in. */
      private boolean ensureRegion() {
        if (region != null) {
          return true;
        }
        synchronized (this) {
          if (!regionTried) {
            regionTried = true;
            try {
              region = pool.acquire(total, () -> closed);
              if (region == null) {
                result.completeExceptionally(new CancellationException("prefetch pass closed"));
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              result.completeExceptionally(
                  new StrataCacheException("prefetch of group " + index + " interrupted while waiting for staging space", e));
            } catch (RuntimeException | Error e) {
              result.completeExceptionally(e);
            }
          }
          return region != null;
        }
      }

      /**
       * Copies tensors of this group until none is left to claim; {@code caller} when not the
       * loader, which then also copies the tensors the loader is still copying.
       */
      void work(boolean caller) {
        if (result.isDone() || !ensureRegion()) {
          return;
        }
        int t;
        while ((t = nextTensor.getAndIncrement()) < tensors.size()) {
          if (state.compareAndSet(t, UNCLAIMED, COPYING)) {
            copy(t, caller);
          }
        }
        if (caller) {
          for (int i = 0; i < tensors.size() && !result.isDone(); i++) {
            if (state.get(i) == COPYING) {
              copy(i, true);
            }
          }
        }
      }

      /** Copies tensor {@code t} into the region and marks it done, unless another copy did first. */
      private void copy(int t, boolean caller) {
        Throwable error = null;
        copiers.incrementAndGet();
        try {
          if (closeRequested.get()) {
            error = new CancellationException("prefetch pass closed");
          } else if (closed) {
            error = new CancellationException("prefetch pass closed");
          } else {
            long c0 = System.nanoTime();
            if (caller) {
              tensorsByCaller.incrementAndGet();
            }
            try {
              client.getTensorInto(tensors.get(t), region.segment().asSlice(offsets[t], sizes[t]));
            } catch (RuntimeException | Error e) {
              error = e;
            } finally {
              loadNanos.addAndGet(System.nanoTime() - c0);
            }
          }
        } finally {
          if (copiers.decrementAndGet() == 0 && closeRequested.get()) {
            closeRegionOnce();
          }
        }
        if (state.getAndSet(t, DONE) != DONE) {
          if (error != null) {
            failure.compareAndSet(null, error);
          }
          if (doneTensors.incrementAndGet() == tensors.size()) {
            complete();
          }
        }
      }

      private void complete() {
        Throwable f = failure.get();
        if (f != null) {
          closeRegion();
          result.completeExceptionally(f);
          return;
        }
        groups.incrementAndGet();
        bytes.addAndGet(payload);
        result.complete(new StagedGroup(index, region, offsets, sizes));
      }

      /** Gives the region back once no copy into it is under way. Idempotent. */
      void closeRegion() {
        closeRequested.set(true);
        if (copiers.get() == 0) {
          closeRegionOnce();
        }
      }

      private void closeRegionOnce() {
        if (region != null && regionClosed.compareAndSet(false, true)) {
          region.close();
        }
      }
    }
  }
}
