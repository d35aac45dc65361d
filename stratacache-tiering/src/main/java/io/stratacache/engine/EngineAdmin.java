package io.stratacache.engine;

import io.stratacache.config.LinkMode;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.EvictionObserver;
import io.stratacache.tiering.TierChain;
import java.util.ArrayList;
import java.util.List;

/**
 * Observation and inspection of a {@link StorageEngine}, from {@link StorageEngine#admin()}:
 * eviction observers, where an artifact lives, and what each tier holds. Nothing here stores,
 * loads or moves an artifact, and nothing here changes a tier's eviction order. Pins belong to one
 * tier and are on its view ({@link Tier#pin}). Thread-safe.
 */
public final class EngineAdmin {
  private final TierChain chain;

  EngineAdmin(TierChain chain) {
    this.chain = chain;
  }

  /** Removes an {@link EvictionObserver} added with {@link #onEviction}. */
  @FunctionalInterface
  public interface Registration extends AutoCloseable {
    /**
     * Stops the observer's notifications: once it returns, the observer hears no more evictions.
     * It waits for a notification another thread is delivering to finish; called from the
     * observer's own callback it does not wait. Idempotent.
     */
    @Override
    void close();
  }

  /**
   * Tells {@code observer} about every artifact a tier evicts from now on, until the returned
   * registration is closed.
   */
  public Registration onEviction(EvictionObserver observer) {
    Runnable remove = chain.addObserver(StorageEngine.notNull(observer, "observer"));
    return remove::run;
  }

  /**
   * The first tier (head first) holding {@code id}, or {@code null} if none does. Asks each tier's
   * {@code contains}: no lease is taken and nothing is promoted.
   */
  public String tierOf(ArtifactId id) {
    int i = chain.locate(StorageEngine.notNull(id, "id"));
    return i < 0 ? null : chain.tier(i).name();
  }

  /**
   * What one tier holds.
   *
   * @param tier the tier's name
   * @param provider the provider that opened it
   * @param linkBelow the link to the tier below, or {@code null} for the last tier
   * @param ids the ids it holds, in no particular order
   */
  public record TierContents(String tier, String provider, LinkMode linkBelow, List<ArtifactId> ids) {
    public TierContents {
      StorageEngine.notNull(tier, "tier");
      StorageEngine.notNull(provider, "provider");
      ids = List.copyOf(StorageEngine.notNull(ids, "ids"));
    }
  }

  /**
   * A listing of every tier, head first, with the ids it holds. Each tier is read in turn, so the
   * listing of one tier may predate a concurrent change seen in another. Sizes and types are not
   * listed: reading an artifact's meta means leasing it, which counts as a hit and refreshes its
   * place in the tier's eviction order; lease the ids of interest through {@link Tier#load} when
   * they are needed.
   */
  public List<TierContents> contents() {
    List<TierContents> out = new ArrayList<>(chain.size());
    for (int i = 0; i < chain.size(); i++) {
      TierChain.Tier t = chain.tier(i);
      out.add(new TierContents(t.name(), t.provider(), chain.linkBelow(i), t.layer().ids()));
    }
    return List.copyOf(out);
  }

  /**
   * Artifacts whose per-artifact lock is held or awaited right now: 0 whenever no store, delete,
   * flush, promotion or demotion is under way. For invariant checks.
   */
  public int lockedArtifacts() {
    return chain.heldLocks();
  }
}
