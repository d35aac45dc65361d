package io.stratacache.kv;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The leased prefixes a cache has handed out and not yet seen released: each is released by its
 * retrieve, by its holder, by a timer after its timeout, or by {@link #close()}, whichever comes
 * first (see {@link KvLeasedPrefix}). One daemon thread runs the timers. Thread-safe.
 */
final class KvLeaseRegistry {
  private final Set<KvLeasedPrefix> leased = ConcurrentHashMap.newKeySet();
  private final ScheduledThreadPoolExecutor reaper;
  private final LongAdder expired;
  private final String model;

  /** A registry counting expired leases in {@code expired}; {@code model} names the cache in errors. */
  KvLeaseRegistry(LongAdder expired, String model) {
    this.expired = expired;
    this.model = model;
    this.reaper = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "stratacache-kv-lease-reaper");
      t.setDaemon(true);
      return t;
    });
    reaper.setRemoveOnCancelPolicy(true);
  }

  /**
   * Wraps {@code leased} chunks in a prefix held until {@code timeout} passes at the latest.
   *
   * @throws IllegalStateException if the registry was closed meanwhile (the leases are released)
   */
  KvLeasedPrefix hold(KvChunkRetriever.Leased chunks, Duration timeout) {
    KvLeasedPrefix prefix = new KvLeasedPrefix(this, chunks.lookup(), chunks.chunks(), chunks.held());
    leased.add(prefix);
    try {
      prefix.expireAfter(reaper.schedule(() -> prefix.expire(expired::increment), timeout.toNanos(), TimeUnit.NANOSECONDS));
    } catch (RejectedExecutionException e) {
      prefix.release();
      throw new IllegalStateException("KV prefix cache for " + model + " closed during the lookup", e);
    }
    return prefix;
  }

  /** Forgets {@code prefix}, whose leases were released. */
  void forget(KvLeasedPrefix prefix) {
    leased.remove(prefix);
  }

  /** Releases every prefix still held and stops the timers. */
  void close() {
    for (KvLeasedPrefix p : List.copyOf(leased)) {
      p.release();
    }
    reaper.shutdownNow();
  }
}
