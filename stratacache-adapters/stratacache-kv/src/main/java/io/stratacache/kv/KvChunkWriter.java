package io.stratacache.kv;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The store path of a {@link KvPrefixCache}: gathers each new chunk's rows from the paged buffers
 * straight into space the engine reserved in its head tier (one copy) and commits it.
 *
 * <p>Design note. A chunk already stored is not written again. A chunk is claimed as a whole,
 * under the id of its first artifact, in a table of futures: a request that finds the claim taken
 * waits for the holder and checks again, so concurrent requests sharing a prefix write each shared
 * chunk once and never split one chunk's layers between them. Thread-safe.
 */
final class KvChunkWriter {
  private final StorageEngine engine;
  private final KvKeyspace keys;
  private final KvLayout layout;
  private final KvChunkMeta chunkMeta;
  private final ArtifactMeta[] fullChunkMetas;
  private final String headTier;
  private final KvStatsRecorder stats;
  private final KvEventQueue events;
  private final Map<ArtifactId, CompletableFuture<Void>> storing = new ConcurrentHashMap<>();

  KvChunkWriter(StorageEngine engine, KvKeyspace keys, KvLayout layout, KvChunkMeta chunkMeta, String headTier,
      KvStatsRecorder stats, KvEventQueue events) {
    this.engine = engine;
    this.keys = keys;
    this.layout = layout;
    this.chunkMeta = chunkMeta;
    this.headTier = headTier;
    this.stats = stats;
    this.events = events;
    this.fullChunkMetas = new ArtifactMeta[keys.artifactsPerChunk()];
    for (int a = 0; a < fullChunkMetas.length; a++) {
      fullChunkMetas[a] = chunkMeta.meta(keys.chunkSize(), a);
    }
  }

  /**
   * Stores the chunks of {@code tokens} from the one holding {@code fromToken} on (arguments
   * already checked by the caller), stopping at the first chunk the engine refuses for lack of
   * room.
   */
  KvStoreResult store(int[] tokens, KvPages pages, int[] slotMapping, int fromToken) {
    stats.storeRequests.increment();
    KvKeyspace.Keys chunks = keys.keys(tokens).fromToken(fromToken);
    int storedChunks = 0;
    int deduped = 0;
    long bytes = 0;
    int end = Math.min(fromToken / keys.chunkSize() * keys.chunkSize(), tokens.length);
    KvChunkFailure failure = null;
    while (chunks.hasNext()) {
      KvChunkKey key = chunks.next();
      long written;
      try {
        written = storeChunkOnce(key, SlotRuns.of(layout, slotMapping, key.startToken(), key.endToken()), pages);
      } catch (ChunkRefused e) {
        stats.refusedStores.increment();
        failure = new KvChunkFailure(KvChunkFailure.Reason.REFUSED, key, e.id, e.getCause().getMessage());
        written = -1;
      }
      boolean wrote = written >= 0;
      if (wrote) {
        bytes += written;
      }
      if (failure != null) {
        break;
      }
      if (wrote) {
        storedChunks++;
        events.publish(keys.event(KvEvent.Type.STORED, key, headTier));
      } else {
        deduped++;
      }
      end = key.endToken();
    }
    stats.storedChunks.add(storedChunks);
    stats.storedBytes.add(bytes);
    stats.dedupedChunks.add(deduped);
    return new KvStoreResult(storedChunks, deduped, bytes, end, failure);
  }

  /** A store of one artifact of a chunk refused for lack of room. */
  private static final class ChunkRefused extends RuntimeException {
    @java.io.Serial private static final long serialVersionUID = 1L;
    final transient ArtifactId id;

    ChunkRefused(ArtifactId id, CapacityException cause) {
      super(cause);
      this.id = id;
    }
  }

  private boolean chunkStored(KvChunkKey key) {
    for (int a = 0; a < keys.artifactsPerChunk(); a++) {
      if (!engine.contains(keys.artifactId(key, a))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Writes the artifacts of chunk {@code key} that are not stored yet; returns the bytes written,
   * or -1 if the whole chunk was there. When this returns the chunk is stored (or this call
   * threw), and exactly one caller reports having stored it.
   *
   * @throws ChunkRefused if a tier had no room for one of its artifacts
   */
  private long storeChunkOnce(KvChunkKey key, SlotRuns runs, KvPages pages) {
    ArtifactId claim = keys.artifactId(key, 0);
    CompletableFuture<Void> mine = null;
    while (!chunkStored(key)) {
      if (mine == null) {
        mine = new CompletableFuture<>();
      }
      CompletableFuture<Void> other = storing.putIfAbsent(claim, mine);
      if (other != null) {
        other.join();
        continue;
      }
      try {
        // A writer that held the claim before us has committed by now: check again under ours.
        long bytes = 0;
        boolean wrote = false;
        for (int a = 0; a < keys.artifactsPerChunk(); a++) {
          ArtifactId id = keys.artifactId(key, a);
          if (!engine.contains(id)) {
            try {
              bytes += write(id, key, a, runs, pages);
            } catch (CapacityException e) {
              throw new ChunkRefused(id, e);
            }
            wrote = true;
          }
        }
        return wrote ? bytes : -1;
      } finally {
        storing.remove(claim, mine);
        mine.complete(null);
      }
    }
    return -1;
  }

  /** Reserves, gathers and commits one artifact; returns its payload size. */
  private long write(ArtifactId id, KvChunkKey key, int firstLayer, SlotRuns runs, KvPages pages) {
    long size = chunkMeta.payloadBytes(key.tokens());
    ArtifactMeta meta = key.tokens() == keys.chunkSize() ? fullChunkMetas[firstLayer] : chunkMeta.meta(key.tokens(), firstLayer);
    try (Reservation r = engine.reserve(id, meta, size)) {
      MemorySegment dst = chunkMeta.dataOf(r.segment(), key.tokens());
      int perArtifact = chunkMeta.layersPerArtifact();
      for (int l = 0; l < perArtifact; l++) {
        runs.gather(pages.layer(firstLayer + l), dst, l);
      }
      r.commit();
    }
    return size;
  }
}
