package io.stratacache.kv;

import java.util.List;
import java.util.concurrent.ScheduledFuture;

/**
 * A cached prefix whose chunks are held under {@link io.stratacache.spi.Lease}s, so no tier can evict them before
 * they are loaded. The leases are released exactly once: by {@link KvPrefixCache#retrieve(
 * KvLeasedPrefix, KvPages, int[])} (which scatters from them), by {@link #release()}, by the
 * cache's timeout, or when the cache closes, whichever comes first. Thread-safe.
 */
public final class KvLeasedPrefix implements AutoCloseable {
  private final KvLookupResult lookup;
  private final List<KvChunkKey> chunks;
  private final KvLeaseRegistry owner;
  private List<LoadedChunk> leases;
  private ScheduledFuture<?> expiry;

  KvLeasedPrefix(KvLeaseRegistry owner, KvLookupResult lookup, List<KvChunkKey> chunks, List<LoadedChunk> leases) {
    this.owner = owner;
    this.lookup = lookup;
    this.chunks = List.copyOf(chunks);
    this.leases = leases;
  }

  /** The lookup's result: the leased prefix and where its chunks were found. */
  public KvLookupResult lookup() {
    return lookup;
  }

  /** Tokens of the leased prefix. */
  public int hitTokens() {
    return lookup.hitTokens();
  }

  /** The keys of the leased chunks, in order. */
  public List<KvChunkKey> chunks() {
    return chunks;
  }

  /** Whether the leases are still held. */
  public synchronized boolean isHeld() {
    return leases != null;
  }

  /** Releases the leases, if still held. Idempotent. */
  public void release() {
    List<LoadedChunk> taken = take();
    if (taken != null) {
      taken.forEach(LoadedChunk::close);
    }
  }

  /** Same as {@link #release()}. */
  @Override
  public void close() {
    release();
  }

  KvLeaseRegistry owner() {
    return owner;
  }

  synchronized void expireAfter(ScheduledFuture<?> future) {
    if (leases == null) {
      future.cancel(false);
    } else {
      expiry = future;
    }
  }

  /**
   * Releases the leases because the timeout passed, if still held, and then runs {@code
   * onExpired}; {@link #isHeld()} turns false only once the leases are closed.
   */
  void expire(Runnable onExpired) {
    synchronized (this) {
      if (leases == null) {
        return;
      }
      leases.forEach(LoadedChunk::close);
      leases = null;
      expiry = null;
      onExpired.run();
    }
    owner.forget(this);
  }

  /** Hands the leases over to the caller (who must close them); {@code null} if already released. */
  List<LoadedChunk> take() {
    List<LoadedChunk> taken;
    ScheduledFuture<?> timer;
    synchronized (this) {
      taken = leases;
      timer = expiry;
      leases = null;
      expiry = null;
    }
    if (taken != null) {
      if (timer != null) {
        timer.cancel(false);
      }
      owner.forget(this);
    }
    return taken;
  }
}
