package io.stratacache.tiering;

import io.stratacache.config.Watermarks;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reclaimable;
import io.stratacache.writeback.Agent;
import io.stratacache.writeback.AgentRunner;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's maintenance agent: keeps each tier with a tier below it under its high watermark
 * by evicting ahead of demand, so that a store into the tier finds room without waiting for the
 * eviction listener to write a victim into the lower tier.
 *
 * <p>Design: one {@link Agent} on the engine's {@link AgentRunner}, beside the write-back worker.
 * A round looks at each tier whose layer is {@link Reclaimable} and whose {@link Watermarks} are
 * active; one that holds more than its high watermark is asked to {@link Reclaimable#reclaim
 * reclaim} down to its low watermark, at most {@value #BATCH} victims per round so that the
 * write-back worker is not held up. Each victim goes through the chain's eviction listener as
 * any eviction does: it is written into the tier below if it is dirty or no lower tier holds it,
 * and stays if that write fails. A store that takes a tier over its high watermark wakes the
 * runner ({@link #afterStore}). A round that evicts nothing from a tier over its high watermark
 * (every victim pinned, leased or kept because the tier below failed) backs off that tier,
 * doubling from the runner's idle period to {@value #MAX_BACKOFF_MS} ms, and the stores into it
 * fall back to making room themselves.
 */
final class TierMaintenance implements Agent {
  private static final System.Logger LOG = System.getLogger(TierMaintenance.class.getName());
  static final int BATCH = 32;
  static final long MAX_BACKOFF_MS = 1000;

  private final String name;
  private final MemoryLayer[] layers;
  private final Reclaimable[] reclaimable;
  private final long[] high;
  private final long[] low;
  private final long minBackoff;
  private final long[] backoff;
  private final long[] nextTry;
  private final AgentRunner runner;
  private final AtomicLong evicted = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();

  /**
   * Maintenance of {@code tiers} (head first) as their watermarks say, run by {@code runner}
   * (whose idle period is {@code idleNanos}). Adds itself to the runner.
   */
  TierMaintenance(String name, TierChain.Tier[] tiers, Watermarks[] marks, AgentRunner runner, long idleNanos) {
    this.name = name;
    this.runner = runner;
    int n = tiers.length;
    this.layers = new MemoryLayer[n];
    this.reclaimable = new Reclaimable[n];
    this.high = new long[n];
    this.low = new long[n];
    this.backoff = new long[n];
    this.nextTry = new long[n];
    this.minBackoff = idleNanos;
    for (int i = 0; i < n - 1; i++) {
      MemoryLayer layer = tiers[i].layer();
      if (marks[i].active() && layer instanceof Reclaimable r) {
        long capacity = layer.stats().capacityBytes();
        layers[i] = layer;
        reclaimable[i] = r;
        high[i] = marks[i].highBytes(capacity);
        low[i] = marks[i].lowBytes(capacity);
      }
    }
    runner.add(this);
  }

  @Override
  public String roleName() {
    return "maintenance " + name;
  }

  /** A store into tier {@code index} finished: wakes the runner if the tier is over its high watermark. */
  void afterStore(int index) {
    if (reclaimable[index] != null && overHigh(index)) {
      runner.wake();
    }
  }

  private boolean overHigh(int index) {
    try {
      LayerStats s = layers[index].stats();
      return s.usedBytes() > high[index];
    } catch (RuntimeException e) {
      return false; // a closed tier: nothing to maintain
    }
  }

  @Override
  public int doWork() {
    int done = 0;
    long now = System.nanoTime();
    for (int i = 0; i < reclaimable.length; i++) {
      if (reclaimable[i] == null || now - nextTry[i] < 0 || !overHigh(i)) {
        continue;
      }
      int gone;
      try {
        gone = reclaimable[i].reclaim(low[i], BATCH);
      } catch (RuntimeException e) {
        failures.incrementAndGet();
        int tier = i;
        LOG.log(System.Logger.Level.DEBUG, () -> "maintenance of tier " + layers[tier].name() + " failed: " + e);
        gone = 0;
      }
      if (gone == 0) {
        backoff[i] = backoff[i] == 0 ? minBackoff : Math.min(backoff[i] * 2, TimeUnit.MILLISECONDS.toNanos(MAX_BACKOFF_MS));
        nextTry[i] = now + backoff[i];
      } else {
        backoff[i] = 0;
        nextTry[i] = now;
        evicted.addAndGet(gone);
        done += gone;
      }
    }
    return done;
  }

  /** Artifacts evicted ahead of demand so far. */
  long evicted() {
    return evicted.get();
  }

  /** Rounds in which a tier's reclaim threw. */
  long failures() {
    return failures.get();
  }
}
