package io.stratacache.kv;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CodecException;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The read path of a {@link KvPrefixCache}: lookups, leases of a prefix's chunks, and retrieves
 * that scatter each chunk straight from the tier's bytes into the pages (one copy).
 *
 * <p>Design note. A lookup walks the chunks from the start and stops at the first one no tier
 * holds, so its result is always a contiguous prefix. Every artifact is leased and checked against
 * its expected type, dtype, shape and size ({@link KvChunkMeta}) before any byte of it is
 * scattered; a mismatching artifact ends the walk, is counted, deleted and reported as a {@link
 * KvEvent.Type#REMOVED} event. Thread-safe: each call keeps its state on its own stack.
 */
final class KvChunkRetriever {
  private static final System.Logger LOG = System.getLogger(KvPrefixCache.class.getName());

  private final StorageEngine engine;
  private final KvKeyspace keys;
  private final KvLayout layout;
  private final KvChunkMeta chunkMeta;
  private final KvTiers tiers;
  private final KvStatsRecorder stats;
  private final KvEventQueue events;

  KvChunkRetriever(StorageEngine engine, KvKeyspace keys, KvLayout layout, KvChunkMeta chunkMeta, KvTiers tiers,
      KvStatsRecorder stats, KvEventQueue events) {
    this.engine = engine;
    this.keys = keys;
    this.layout = layout;
    this.chunkMeta = chunkMeta;
    this.tiers = tiers;
    this.stats = stats;
    this.events = events;
  }

  // ---------------------------------------------------------------- where chunks are

  /**
   * The index of the tier holding {@code chunk}, or -1. When layers are stored apart, the lowest
   * tier holding one of its layers (and -1 if any layer is missing).
   */
  int tierIndexOf(KvChunkKey chunk) {
    int lowest = -1;
    for (int a = 0; a < keys.artifactsPerChunk(); a++) {
      int t = tiers.indexOf(engine.admin().tierOf(keys.artifactId(chunk, a)));
      if (t < 0) {
        return -1;
      }
      lowest = Math.max(lowest, t);
    }
    return lowest;
  }

  /**
   * The cached contiguous prefix of {@code tokens}, counted into the statistics. Walks the chunks
   * without making their keys: per chunk one hash and one id per artifact to probe.
   */
  KvLookupResult lookup(int[] tokens) {
    KvKeyspace.Keys chunks = keys.keys(tokens);
    int[] byTier = new int[tiers.size()];
    int hit = 0;
    int count = 0;
    while (chunks.hasNext()) {
      chunks.advance();
      int t = tierIndexOfCurrent(chunks);
      if (t < 0) {
        break;
      }
      byTier[t] += chunks.endToken() - chunks.startToken();
      hit = chunks.endToken();
      count++;
    }
    stats.lookup(tokens.length, byTier);
    return tiers.result(tokens.length, hit, count, byTier);
  }

  /** {@link #tierIndexOf(KvChunkKey)} of the walk's current chunk. */
  private int tierIndexOfCurrent(KvKeyspace.Keys chunks) {
    int lowest = -1;
    for (int a = 0; a < keys.artifactsPerChunk(); a++) {
      int t = tiers.indexOf(engine.admin().tierOf(chunks.artifactId(a)));
      if (t < 0) {
        return -1;
      }
      lowest = Math.max(lowest, t);
    }
    return lowest;
  }

  /** A prefix whose chunks are leased: the lookup's result, the keys and their loaded chunks, in order. */
  record Leased(KvLookupResult lookup, List<KvChunkKey> chunks, List<LoadedChunk> held) {}

  /**
   * Looks up the cached prefix of {@code tokens} and leases its chunks; a chunk missing or found
   * corrupt ends the prefix. The caller owns the leases returned.
   */
  Leased lookupAndLease(int[] tokens) {
    KvKeyspace.Keys chunks = keys.keys(tokens);
    int[] byTier = new int[tiers.size()];
    List<KvChunkKey> found = new ArrayList<>();
    List<LoadedChunk> held = new ArrayList<>();
    int hit = 0;
    try {
      while (chunks.hasNext()) {
        KvChunkKey key = chunks.next();
        Loaded loaded = load(key);
        if (loaded.failure != null) {
          break;
        }
        int lowest = 0;
        for (Lease l : loaded.chunk.leases()) {
          lowest = Math.max(lowest, tiers.indexOf(l.tier()));
        }
        byTier[lowest] += key.tokens();
        hit = key.endToken();
        found.add(key);
        held.add(loaded.chunk);
      }
    } catch (RuntimeException e) {
      held.forEach(LoadedChunk::close);
      throw e;
    }
    stats.lookup(tokens.length, byTier);
    stats.leasedPrefixes.increment();
    return new Leased(tiers.result(tokens.length, hit, found.size(), byTier), found, held);
  }

  // ---------------------------------------------------------------- load and check

  /** A chunk leased and checked, or why it could not be. */
  private record Loaded(LoadedChunk chunk, KvChunkFailure failure) {}

  /**
   * Leases every artifact of {@code key} and checks each. On a missing or corrupt artifact every
   * lease taken is closed, a corrupt artifact is deleted, and the failure is returned.
   */
  private Loaded load(KvChunkKey key) {
    int artifacts = keys.artifactsPerChunk();
    Lease[] leases = new Lease[artifacts];
    MemorySegment[] data = new MemorySegment[artifacts];
    int taken = 0;
    boolean success = false;
    try {
      for (int a = 0; a < artifacts; a++) {
        KvChunkFailure failure = loadInto(key, a, leases, data);
        if (failure != null) {
          return new Loaded(null, failure);
        }
        taken++;
      }
      success = true;
      return new Loaded(new LoadedChunk(leases, data), null);
    } finally {
      if (!success) {
        for (int i = 0; i < taken; i++) {
          leases[i].close();
        }
      }
    }
  }

  /**
   * Leases artifact {@code a} of {@code key} into {@code leases[a]} and its checked tensor data
   * into {@code data[a]}; returns why not, or null.
   */
  private KvChunkFailure loadInto(KvChunkKey key, int a, Lease[] leases, MemorySegment[] data) {
    ArtifactId id = keys.artifactId(key, a);
    Lease lease = engine.tryLoad(id);
    if (lease == null) {
      return new KvChunkFailure(KvChunkFailure.Reason.MISSING, key, id, id + " is in no tier of " + tiers.names());
    }
    try {
      data[a] = chunkMeta.check(lease.meta(), lease.segment(), key.tokens(), a);
      leases[a] = lease;
      return null;
    } catch (CodecException e) {
      String tier = lease.tier();
      lease.close();
      stats.corruptChunks.increment();
      if (engine.delete(id)) {
        stats.removedChunks.increment();
        events.publish(keys.event(KvEvent.Type.REMOVED, key, "*"));
      }
      LOG.log(System.Logger.Level.WARNING, () -> "corrupt KV chunk " + id + " in tier " + tier + ": " + e.getMessage() + "; deleted");
      return new KvChunkFailure(KvChunkFailure.Reason.CORRUPT, key, id, "tier " + tier + ": " + e.getMessage());
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    }
  }

  // ---------------------------------------------------------------- retrieve

  /** Loads and scatters the chunks of {@code tokens} from the one holding {@code fromToken} on (arguments checked). */
  KvRetrieveResult retrieve(int[] tokens, KvPages pages, int[] slotMapping, int fromToken) {
    stats.retrieveRequests.increment();
    return scatterChunks(keys.keys(tokens).fromToken(fromToken), this::load, pages, slotMapping, fromToken);
  }

  /**
   * Scatters the chunks of {@code prefix} from the leases it hands over, or, if they were already
   * released, from fresh loads; closes every lease it takes.
   */
  KvRetrieveResult retrieve(KvLeasedPrefix prefix, KvPages pages, int[] slotMapping) {
    stats.retrieveRequests.increment();
    List<LoadedChunk> held = prefix.take();
    if (held == null) {
      return scatterChunks(prefix.chunks().iterator(), this::load, pages, slotMapping, 0);
    }
    Map<KvChunkKey, LoadedChunk> byKey = new HashMap<>();
    for (int i = 0; i < held.size(); i++) {
      byKey.put(prefix.chunks().get(i), held.get(i));
    }
    try {
      return scatterChunks(prefix.chunks().iterator(), key -> new Loaded(byKey.remove(key), null), pages, slotMapping, 0);
    } finally {
      byKey.values().forEach(LoadedChunk::close);
    }
  }

  /** Loads (with {@code loader}) and scatters {@code chunks} in order, stopping at the first failure. */
  private KvRetrieveResult scatterChunks(
      Iterator<KvChunkKey> chunks, Function<KvChunkKey, Loaded> loader, KvPages pages, int[] slotMapping, int fromToken) {
    int end = fromToken;
    int count = 0;
    long bytes = 0;
    KvChunkFailure failure = null;
    while (chunks.hasNext()) {
      KvChunkKey key = chunks.next();
      int from = Math.max(fromToken, key.startToken());
      SlotRuns runs = SlotRuns.of(layout, slotMapping, key.startToken(), from, key.tokens());
      Loaded loaded = loader.apply(key);
      if (loaded.failure != null) {
        failure = loaded.failure;
        break;
      }
      try {
        for (int l = 0; l < keys.layers(); l++) {
          scatterLayer(loaded.chunk, runs, pages, l);
        }
      } finally {
        loaded.chunk.close();
      }
      bytes += scatteredBytes(key.endToken() - from, keys.layers());
      end = key.endToken();
      count++;
    }
    return retrieved(fromToken, end, count, bytes, failure);
  }

  private void scatterLayer(LoadedChunk chunk, SlotRuns runs, KvPages pages, int layer) {
    if (keys.bundled()) {
      runs.scatter(chunk.data()[0], layer, pages.layer(layer));
    } else {
      runs.scatter(chunk.data()[layer], 0, pages.layer(layer));
    }
  }

  private long scatteredBytes(int tokens, int layerCount) {
    return (long) tokens * layout.planes() * layout.rowBytes() * layerCount;
  }

  private KvRetrieveResult retrieved(int start, int end, int chunks, long bytes, KvChunkFailure failure) {
    stats.loadedTokens.add(end - start);
    stats.loadedChunks.add(chunks);
    stats.loadedBytes.add(bytes);
    if (failure != null && failure.reason() == KvChunkFailure.Reason.MISSING) {
      stats.missingChunks.increment();
    }
    return new KvRetrieveResult(start, end, chunks, bytes, failure);
  }

  // ---------------------------------------------------------------- layer-wise

  /**
   * Fills the pages layer by layer, reporting each layer to {@code handle} and completing it
   * (arguments checked; the caller runs this in the background and fails the handle on a throw).
   * With bundled chunks every chunk of the prefix is leased and checked first, then scattered one
   * layer at a time; with layers stored apart, layer {@code i}'s artifacts are loaded and
   * scattered while the caller works on layer {@code i - 1}.
   */
  void retrieveLayerwise(KvLayerwiseRetrieval handle, int[] tokens, KvPages pages, int[] slots, int fromToken) {
    if (keys.bundled()) {
      layerwiseBundled(handle, tokens, pages, slots, fromToken);
    } else {
      layerwiseApart(handle, tokens, pages, slots, fromToken);
    }
  }

  private void layerwiseBundled(KvLayerwiseRetrieval handle, int[] tokens, KvPages pages, int[] slots, int fromToken) {
    KvKeyspace.Keys chunks = keys.keys(tokens).fromToken(fromToken);
    int layers = keys.layers();
    List<LoadedChunk> held = new ArrayList<>();
    List<SlotRuns> plans = new ArrayList<>();
    KvChunkFailure failure = null;
    int end = fromToken;
    try {
      while (chunks.hasNext()) {
        KvChunkKey key = chunks.next();
        int from = Math.max(fromToken, key.startToken());
        SlotRuns runs = SlotRuns.of(layout, slots, key.startToken(), from, key.tokens());
        Loaded loaded = load(key);
        if (loaded.failure != null) {
          failure = loaded.failure;
          break;
        }
        held.add(loaded.chunk);
        plans.add(runs);
        end = key.endToken();
      }
      for (int l = 0; l < layers; l++) {
        for (int c = 0; c < held.size(); c++) {
          plans.get(c).scatter(held.get(c).data()[0], l, pages.layer(l));
        }
        handle.layerDone(l, end - fromToken);
      }
    } finally {
      held.forEach(LoadedChunk::close);
    }
    handle.complete(retrieved(fromToken, end, held.size(), scatteredBytes(end - fromToken, layers), failure));
  }

  private void layerwiseApart(KvLayerwiseRetrieval handle, int[] tokens, KvPages pages, int[] slots, int fromToken) {
    KvKeyspace.Keys keyWalk = keys.keys(tokens).fromToken(fromToken);
    int layers = keys.layers();
    List<KvChunkKey> chunks = new ArrayList<>();
    List<SlotRuns> plans = new ArrayList<>();
    KvChunkFailure failure = null;
    while (keyWalk.hasNext()) {
      KvChunkKey key = keyWalk.next();
      plans.add(SlotRuns.of(layout, slots, key.startToken(), Math.max(fromToken, key.startToken()), key.tokens()));
      chunks.add(key);
    }
    int count = chunks.size();
    long bytes = 0;
    Lease[] one = new Lease[layers];
    MemorySegment[] data = new MemorySegment[layers];
    for (int l = 0; l < layers; l++) {
      for (int c = 0; c < count; c++) {
        KvChunkKey key = chunks.get(c);
        KvChunkFailure f = loadInto(key, l, one, data);
        if (f != null) {
          failure = f;
          count = c;
          break;
        }
        try {
          plans.get(c).scatter(data[l], 0, pages.layer(l));
        } finally {
          one[l].close();
          one[l] = null;
          data[l] = null;
        }
        bytes += scatteredBytes(key.endToken() - Math.max(fromToken, key.startToken()), 1);
      }
      handle.layerDone(l, count == 0 ? 0 : chunks.get(count - 1).endToken() - fromToken);
    }
    int end = count == 0 ? fromToken : chunks.get(count - 1).endToken();
    handle.complete(retrieved(fromToken, end, count, bytes, failure));
  }
}
