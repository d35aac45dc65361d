package io.stratacache.testkit;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link MemoryLayer} that wraps another and injects faults, reproducibly from a seed: I/O
 * errors on a given fraction of stores (and optionally of loads), added latency, and a {@link
 * #crash()} that drops what was not {@linkplain #sync() synced}.
 *
 * <p>Whether an attempt fails is a pure function of the seed, the operation, the id and how many
 * attempts of that operation on that id came before, so a run repeats exactly with the same seed
 * whatever the interleaving of threads, and a retry of a failed store is a fresh draw. Injected
 * failures are {@link LayerUnavailableException}s whose message names the seed and how to
 * reproduce the run. A failed store stores nothing.
 *
 * <p>Crash model: stores (and commits of reservations) since the last {@link #sync()} are lost;
 * an id stored again since then loses its older version too (the artifact is then absent, which
 * a medium that tore the replace could also leave). Deletes take effect at once.
 */
public final class FaultyLayer extends ForwardingLayer {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final long seed;
  private final double putFailureRate;
  private final double getFailureRate;
  private final long latencyNanos;
  private final Map<String, AtomicLong> attempts = new ConcurrentHashMap<>();
  private final Map<ArtifactId, Boolean> unsynced = new ConcurrentHashMap<>();
  private final AtomicLong putFailures = new AtomicLong();
  private final AtomicLong getFailures = new AtomicLong();
  private final AtomicLong lost = new AtomicLong();

  private FaultyLayer(Builder b) {
    super(b.inner);
    this.seed = b.seed;
    this.putFailureRate = b.putFailureRate;
    this.getFailureRate = b.getFailureRate;
    this.latencyNanos = b.latency.toNanos();
  }

  /** Starts wrapping {@code inner}; with no other setting the wrapper injects nothing. */
  public static Builder wrap(MemoryLayer inner) {
    return new Builder(Objects.requireNonNull(inner, "inner"));
  }

  /** Settings of a {@link FaultyLayer}; each may be set once. */
  public static final class Builder {
    private final MemoryLayer inner;
    private long seed = Seeds.seed();
    private double putFailureRate;
    private double getFailureRate;
    private Duration latency = Duration.ZERO;

    private Builder(MemoryLayer inner) {
      this.inner = inner;
    }

    /** The seed of every decision (default: {@link Seeds#seed()}). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Fraction of store attempts that fail, from 0 to 1. */
    public Builder putFailureRate(double rate) {
      this.putFailureRate = checkRate("putFailureRate", rate);
      return this;
    }

    /** Fraction of load attempts that fail, from 0 to 1 (default 0). */
    public Builder getFailureRate(double rate) {
      this.getFailureRate = checkRate("getFailureRate", rate);
      return this;
    }

    /** Time added to every store and load (default none). */
    public Builder latency(Duration latency) {
      if (latency.isNegative()) {
        throw new IllegalArgumentException("latency: " + latency + " (expected: zero or more)");
      }
      this.latency = latency;
      return this;
    }

    public FaultyLayer build() {
      return new FaultyLayer(this);
    }

    private static double checkRate(String what, double rate) {
      if (!(rate >= 0 && rate <= 1)) {
        throw new IllegalArgumentException(what + ": " + rate + " (expected: 0 to 1)");
      }
      return rate;
    }
  }

  /** The seed this layer draws its faults from. */
  public long seed() {
    return seed;
  }

  /** The wrapped layer. */
  public MemoryLayer inner() {
    return delegate();
  }

  /** Store attempts that were made to fail. */
  public long injectedPutFailures() {
    return putFailures.get();
  }

  /** Load attempts that were made to fail. */
  public long injectedGetFailures() {
    return getFailures.get();
  }

  /** Artifacts that crashes dropped. */
  public long lostInCrashes() {
    return lost.get();
  }

  /** Marks everything stored so far as durable: a later {@link #crash()} keeps it. */
  public void sync() {
    unsynced.clear();
  }

  /**
   * Drops every artifact stored since the last {@link #sync()}, as a crash of the medium would;
   * returns their ids.
   */
  public List<ArtifactId> crash() {
    List<ArtifactId> dropped = new ArrayList<>();
    for (ArtifactId id : List.copyOf(unsynced.keySet())) {
      unsynced.remove(id);
      delegate().delete(id);
      dropped.add(id);
    }
    lost.addAndGet(dropped.size());
    return dropped;
  }

  /**
   * {@inheritDoc}
   *
   * @throws LayerUnavailableException for an injected failure; nothing is stored then
   */
  @Override
  public void put(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    delay();
    failMaybe("put", id, putFailureRate, putFailures);
    delegate().put(id, meta, payload);
    unsynced.put(id, Boolean.TRUE);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The fault is drawn when the room is reserved, as for a store; a committed reservation
   * counts as unsynced.
   */
  @Override
  public Reservation reserve(ArtifactId id, ArtifactMeta meta, long size) {
    delay();
    failMaybe("put", id, putFailureRate, putFailures);
    Reservation r = delegate().reserve(id, meta, size);
    return new Reservation() {
      @Override
      public ArtifactId id() {
        return r.id();
      }

      @Override
      public MemorySegment segment() {
        return r.segment();
      }

      @Override
      public void commit() {
        r.commit();
        unsynced.put(id, Boolean.TRUE);
      }

      @Override
      public void close() {
        r.close();
      }
    };
  }

  /**
   * {@inheritDoc}
   *
   * @throws LayerUnavailableException for an injected failure
   */
  @Override
  public Lease get(ArtifactId id) {
    delay();
    failMaybe("get", id, getFailureRate, getFailures);
    return delegate().get(id);
  }

  @Override
  public boolean delete(ArtifactId id) {
    boolean removed = delegate().delete(id);
    unsynced.remove(id);
    return removed;
  }










  private void failMaybe(String op, ArtifactId id, double rate, AtomicLong counter) {
    if (rate <= 0) {
      return;
    }
    long attempt = attempts.computeIfAbsent(op + '\u0000' + id.value(), k -> new AtomicLong()).incrementAndGet();
    if (rate >= 1 || draw(op, id, attempt) < rate) {
      counter.incrementAndGet();
      throw new LayerUnavailableException(
          "tier '" + name() + "': injected " + op + " failure for " + id + " (attempt " + attempt
              + "; FaultyLayer seed " + Seeds.format(seed) + ", reproduce with -Dtests.seed=" + Seeds.format(seed) + ")");
    }
  }

  /** A uniform draw in [0, 1) fixed by the seed, the operation, the id and the attempt. */
  private double draw(String op, ArtifactId id, long attempt) {
    long h = mix(seed ^ mix(op.hashCode() * GOLDEN) ^ mix(id.value().hashCode() + GOLDEN * attempt));
    return (h >>> 11) * 0x1.0p-53;
  }

  private void delay() {
    if (latencyNanos <= 0) {
      return;
    }
    long end = System.nanoTime() + latencyNanos;
    for (long left = latencyNanos; left > 0; left = end - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
  }

  /** SplitMix64's finaliser: the well-mixed long every decision (and {@link Seeds}) derives from. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
