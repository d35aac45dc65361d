package io.stratacache.engine;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactNotFoundException;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.tiering.TierChain;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One tier of a {@link StorageEngine}, from {@link StorageEngine#tier(String)}. Its calls act on
 * this tier only (the EXACT mode of DESIGN.md's table), except the two that say otherwise: {@link
 * #storeDownward} (this tier, then the links below it) and {@link #loadPreferred} (this tier,
 * else the whole chain). Every call goes through the engine, so the chain's guarantees hold: an
 * exact store removes every other copy, a delete clears the tier's dirty mark, and each mutation
 * holds the artifact's lock. Thread-safe; a view stays valid until the engine is closed.
 */
public final class Tier {
  private final TierChain chain;
  private final int index;
  private final String name;
  private final String provider;

  Tier(TierChain chain, int index, String name, String provider) {
    this.chain = chain;
    this.index = index;
    this.name = name;
    this.provider = provider;
  }

  /** The tier's name (e.g. {@code warm}). */
  public String name() {
    return name;
  }

  /** The provider that opened it (e.g. {@code cpu}, {@code ssd}). */
  public String provider() {
    return provider;
  }

  // ---------------------------------------------------------------- store

  /**
   * Stores a copy of {@code payload} in this tier only; every other tier's copy, and its dirty
   * mark, is removed, so no stale copy can surface later.
   *
   * @throws io.stratacache.core.CapacityException if the artifact cannot fit in this tier
   */
  public void store(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    checkStore(id, meta, payload);
    chain.storeExact(index, id, meta, payload);
  }

  /**
   * Stores a copy of {@code payload} in this tier, removes the now stale copies above it, then
   * follows the links below it, as {@link StorageEngine#store} does from the head.
   *
   * @throws io.stratacache.core.CapacityException if the artifact cannot fit in this tier
   */
  public void storeDownward(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    checkStore(id, meta, payload);
    chain.storeChain(index, id, meta, payload);
  }

  private static void checkStore(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    StorageEngine.notNull(id, "id");
    StorageEngine.notNull(meta, "meta");
    StorageEngine.notNull(payload, "payload");
  }

  // ---------------------------------------------------------------- load

  /**
   * Leases {@code id} from this tier only; nothing is promoted.
   *
   * @throws ArtifactNotFoundException if this tier does not hold it
   */
  public Lease load(ArtifactId id) {
    Lease l = tryLoad(id);
    if (l == null) {
      throw new ArtifactNotFoundException(id, "tier " + name);
    }
    return l;
  }

  /** Leases {@code id} from this tier only, or returns {@code null} if this tier does not hold it. */
  public Lease tryLoad(ArtifactId id) {
    return chain.loadExact(index, StorageEngine.notNull(id, "id"));
  }

  /**
   * Leases {@code id} from this tier if it holds it, else as {@link StorageEngine#load} would
   * (top-down, promoting a lower-tier hit).
   *
   * @throws ArtifactNotFoundException if no tier holds it
   */
  public Lease loadPreferred(ArtifactId id) {
    StorageEngine.notNull(id, "id");
    Lease l = chain.loadExact(index, id);
    if (l == null) {
      l = chain.loadChain(id);
    }
    if (l == null) {
      throw new ArtifactNotFoundException(id, "tier " + name + ", then every tier");
    }
    return l;
  }

  // ---------------------------------------------------------------- contains, delete, pins

  /** Whether this tier holds {@code id}. */
  public boolean contains(ArtifactId id) {
    StorageEngine.notNull(id, "id");
    return chain.tier(index).layer().contains(id);
  }

  /**
   * Removes {@code id} from this tier only, with its dirty mark here (the copies in other tiers
   * stay). Open leases on it stay valid. Returns whether this tier held it.
   */
  public boolean delete(ArtifactId id) {
    return chain.deleteExact(index, StorageEngine.notNull(id, "id"));
  }

  /**
   * Pins {@code id} in this tier: it will not be evicted from here until {@link #unpin}ned. Pins
   * nest, survive a replace of the artifact and end with its delete. Returns whether this tier
   * holds it.
   */
  public boolean pin(ArtifactId id) {
    return chain.tier(index).layer().pin(StorageEngine.notNull(id, "id"));
  }

  /** Undoes one {@link #pin}. Returns false if {@code id} was not pinned here. */
  public boolean unpin(ArtifactId id) {
    return chain.tier(index).layer().unpin(StorageEngine.notNull(id, "id"));
  }

  // ---------------------------------------------------------------- inspection

  /** A snapshot of this tier's counters. */
  public LayerStats stats() {
    return chain.tier(index).layer().stats();
  }

  /** A snapshot of the ids this tier holds, in no particular order. */
  public List<ArtifactId> ids() {
    return List.copyOf(chain.tier(index).layer().ids());
  }

  @Override
  public String toString() {
    return "tier " + name + " [" + provider + "]";
  }
}
