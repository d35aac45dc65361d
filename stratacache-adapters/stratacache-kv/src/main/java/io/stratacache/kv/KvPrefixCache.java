package io.stratacache.kv;

import io.stratacache.config.KvConfig;
import io.stratacache.config.LoggingConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.CodecException;
import io.stratacache.core.ConfigException;
import io.stratacache.core.StrataCacheException;
import io.stratacache.core.codec.TensorCodec;
import io.stratacache.engine.EngineAdmin;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import io.stratacache.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * KV-cache prefix reuse over a {@link StorageEngine}: lets an inference engine skip the prefill of
 * a prompt whose prefix was seen before.
 *
 * <p>Design note. A prompt is cut into chunks of {@code chunk_size} tokens keyed by chained
 * SHA-256 hashes (KEYS.md), so a chunk's key names its whole prefix and a lookup walks the chunks
 * from the start, stopping at the first one no tier holds: the result is always a contiguous
 * prefix. {@link #store} gathers each new chunk's rows from the paged buffers straight into space
 * the engine reserved in its head tier (one copy) and commits it; {@link #retrieve} leases each
 * chunk and scatters from the tier's bytes straight into the pages (one copy). Each chunk is
 * checked against its expected type, dtype, shape and size before any byte of it is scattered;
 * a mismatching chunk ends the retrieve, is reported and deleted. With {@code bundle_layers} a
 * chunk is one artifact {@code [L, 2, T, H, D]} (MLA: {@code [L, T, D]}); without, one artifact
 * per layer. A chunk already stored is not written again; a chunk another request is storing
 * at the same moment is waited for, then skipped, so concurrent requests sharing a prefix write
 * each shared chunk once.
 *
 * <p>Thread-safe: any number of requests may look up, store and retrieve at once. Calls after
 * {@link #close()} throw {@link IllegalStateException}.
 */
public final class KvPrefixCache implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(KvPrefixCache.class.getName());
  private static final HexFormat HEX = HexFormat.of();

  private final StorageEngine engine;
  private final KvNamespace namespace;
  private final KvLayout layout;
  private final int layers;
  private final KvConfig config;
  private final int chunkSize;
  private final boolean bundled;
  private final byte[] seed;
  private final String idPrefix;
  private final EngineAdmin.Registration evictions;
  private final KvChunkMeta chunkMeta;
  private final ArtifactMeta[] fullChunkMetas;
  private final List<String> tiers;
  private final Map<String, Integer> tierIndex;
  private final List<KvMedium> media;
  private final String headTier;
  private final KvStatsRecorder stats;
  private final KvEventQueue events;
  private final Map<ArtifactId, CompletableFuture<Void>> storing = new ConcurrentHashMap<>();
  private final Set<KvLeasedPrefix> leased = ConcurrentHashMap.newKeySet();
  private final Duration leaseTimeout;
  private final ExecutorService executor;
  private final boolean ownsExecutor;
  private final ScheduledThreadPoolExecutor reaper;
  private final LoggingConfig logging;
  /** When the last statistics line was logged; {@link Long#MIN_VALUE} before the first. */
  private final AtomicLong lastLogNanos = new AtomicLong(Long.MIN_VALUE);
  private final AtomicBoolean closed = new AtomicBoolean();

  private KvPrefixCache(Builder b) {
    this.engine = b.engine;
    this.layout = b.layout;
    this.layers = b.layers;
    this.config = b.config;
    this.chunkSize = config.chunkSize();
    this.bundled = config.bundleLayers();
    this.namespace = new KvNamespace(b.model, b.tpSize, b.tpRank, layout.dtype(), layout.kind(), b.salt);
    this.seed = namespace.seed();
    this.idPrefix = "kv" + ArtifactId.SEPARATOR + namespace.idPrefix() + ArtifactId.SEPARATOR;
    this.chunkMeta = new KvChunkMeta(layout, bundled, layers, TensorCodec.of(config.tensorHeaderInPayload()));
    this.fullChunkMetas = new ArtifactMeta[bundled ? 1 : layers];
    for (int l = 0; l < fullChunkMetas.length; l++) {
      fullChunkMetas[l] = chunkMeta.meta(chunkSize, l);
    }
    this.tiers = engine.tiers();
    this.tierIndex = new HashMap<>();
    List<KvMedium> m = new ArrayList<>();
    for (int i = 0; i < tiers.size(); i++) {
      tierIndex.put(tiers.get(i), i);
      m.add(KvMedium.ofProvider(engine.tier(tiers.get(i)).provider()));
    }
    this.media = List.copyOf(m);
    this.headTier = tiers.getFirst();
    this.stats = new KvStatsRecorder(tiers, media);
    this.events = new KvEventQueue(b.eventCapacity);
    this.leaseTimeout = b.leaseTimeout;
    this.ownsExecutor = b.executor == null;
    this.executor = ownsExecutor ? Executors.newVirtualThreadPerTaskExecutor() : b.executor;
    this.reaper = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "stratacache-kv-lease-reaper");
      t.setDaemon(true);
      return t;
    });
    reaper.setRemoveOnCancelPolicy(true);
    this.logging = engine.config().logging();
    this.evictions = engine.admin().onEviction(this::onEvicted);
  }

  /** Publishes a {@link KvEvent.Type#REMOVED} event when a tier evicts one of this cache's chunks. */
  private void onEvicted(String tier, ArtifactId id, ArtifactMeta meta) {
    String value = id.value();
    if (!value.startsWith(idPrefix)) {
      return;
    }
    int end = value.indexOf(ArtifactId.SEPARATOR, idPrefix.length());
    String hash = value.substring(idPrefix.length(), end < 0 ? value.length() : end);
    int tokens;
    try {
      tokens = Integer.parseInt(meta.attribute(KvChunkMeta.TOKENS));
    } catch (NumberFormatException e) {
      tokens = 0; // not a chunk this cache wrote; the hash is still the chunk's
    }
    events.publish(new KvEvent(KvEvent.Type.REMOVED, namespace.idPrefix(), hash, tokens, tier, System.currentTimeMillis()));
  }

  /** A builder of a cache over {@code engine}; the engine stays the caller's to close. */
  public static Builder builder(StorageEngine engine) {
    return new Builder(engine);
  }

  /** The namespace every key of this cache is derived from. */
  public KvNamespace namespace() {
    return namespace;
  }

  /** The layout of each layer's pages. */
  public KvLayout layout() {
    return layout;
  }

  /** Layers of the model. */
  public int layers() {
    return layers;
  }

  /** The KV settings in use. */
  public KvConfig config() {
    return config;
  }

  /** The events a router drains: chunks stored and removed. */
  public KvEventQueue events() {
    return events;
  }

  /** A snapshot of the counters. */
  public KvStats stats() {
    return stats.snapshot();
  }

  // ---------------------------------------------------------------- keys

  /**
   * The keys of {@code tokens}' chunks: every full chunk and, with {@code save_partial_chunks},
   * the trailing partial chunk.
   */
  public List<KvChunkKey> chunkKeys(int[] tokens) {
    ensureOpen();
    Keys keys = new Keys(tokens);
    List<KvChunkKey> out = new ArrayList<>(keys.count);
    while (keys.hasNext()) {
      out.add(keys.next());
    }
    return out;
  }

  /**
   * The tier holding {@code chunk}, or {@code null} if none holds it all. When layers are stored
   * apart, the lowest tier holding one of its layers (and {@code null} if any layer is missing).
   */
  public String tierOf(KvChunkKey chunk) {
    ensureOpen();
    int t = tierIndexOf(chunk);
    return t < 0 ? null : tiers.get(t);
  }

  /** Whether some tier holds all of {@code chunk}. */
  public boolean contains(KvChunkKey chunk) {
    return tierOf(chunk) != null;
  }

  private int tierIndexOf(KvChunkKey chunk) {
    if (bundled) {
      return indexOf(engine.admin().tierOf(chunk.id()));
    }
    int lowest = -1;
    for (int l = 0; l < layers; l++) {
      int t = indexOf(engine.admin().tierOf(layerId(chunk, l)));
      if (t < 0) {
        return -1;
      }
      lowest = Math.max(lowest, t);
    }
    return lowest;
  }

  private int indexOf(String tier) {
    return tier == null ? -1 : tierIndex.get(tier);
  }

  private ArtifactId artifactId(KvChunkKey chunk, int layer) {
    return bundled ? chunk.id() : layerId(chunk, layer);
  }

  private static ArtifactId layerId(KvChunkKey chunk, int layer) {
    return ArtifactId.of(chunk.id().value() + ArtifactId.SEPARATOR + "L" + layer);
  }

  /** The chunks of a prompt, hashed one at a time as they are asked for. */
  private final class Keys implements Iterator<KvChunkKey> {
    private final int[] tokens;
    private final int count;
    private final KvChunkHasher hasher = new KvChunkHasher(chunkSize);
    private final byte[] parent = seed.clone();
    private final byte[] hash = new byte[KvChunkHasher.HASH_BYTES];
    private int next;

    Keys(int[] tokens) {
      this.tokens = Objects.requireNonNull(tokens, "tokens");
      int full = tokens.length / chunkSize;
      this.count = full + (config.savePartialChunks() && tokens.length % chunkSize != 0 ? 1 : 0);
    }

    /** Keys from chunk {@code first} on: the chunks before it are hashed (the chain needs them) and skipped. */
    Keys from(int first) {
      while (next < first && hasNext()) {
        next();
      }
      return this;
    }

    @Override
    public boolean hasNext() {
      return next < count;
    }

    @Override
    public KvChunkKey next() {
      if (!hasNext()) {
        throw new NoSuchElementException("chunk " + next + " of " + count);
      }
      int start = next * chunkSize;
      int end = Math.min(start + chunkSize, tokens.length);
      hasher.hash(parent, tokens, start, end, hash);
      System.arraycopy(hash, 0, parent, 0, hash.length);
      String hex = HEX.formatHex(hash);
      return new KvChunkKey(next++, start, end, end - start < chunkSize, hex, ArtifactId.of(idPrefix + hex));
    }
  }

  // ---------------------------------------------------------------- lookup

  /**
   * How many of {@code tokens} are cached as a contiguous prefix from the first token, and in
   * which tiers. A chunk missing in the middle ends the prefix, whatever follows it.
   */
  public KvLookupResult lookup(int[] tokens) {
    ensureOpen();
    Keys keys = new Keys(tokens);
    int[] byTier = new int[tiers.size()];
    int hit = 0;
    int chunks = 0;
    while (keys.hasNext()) {
      KvChunkKey key = keys.next();
      int t = tierIndexOf(key);
      if (t < 0) {
        break;
      }
      byTier[t] += key.tokens();
      hit = key.endToken();
      chunks++;
    }
    stats.lookup(tokens.length, byTier);
    maybeLogStats();
    return lookupResult(tokens.length, hit, chunks, byTier);
  }

  /** {@link #lookupAndLease(int[], Duration)} with the cache's lease timeout. */
  public KvLeasedPrefix lookupAndLease(int[] tokens) {
    return lookupAndLease(tokens, leaseTimeout);
  }

  /**
   * Looks up the cached prefix of {@code tokens} and leases its chunks, so that no tier evicts
   * them until they are retrieved with {@link #retrieve(KvLeasedPrefix, KvPages, int[])}, released,
   * or {@code timeout} passes. Lower-tier hits are promoted as any load promotes them. A chunk
   * found corrupt ends the prefix (and is deleted).
   */
  public KvLeasedPrefix lookupAndLease(int[] tokens, Duration timeout) {
    ensureOpen();
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("lease timeout: " + timeout + " (expected: > 0)");
    }
    Keys keys = new Keys(tokens);
    int[] byTier = new int[tiers.size()];
    List<KvChunkKey> chunks = new ArrayList<>();
    List<LoadedChunk> held = new ArrayList<>();
    int hit = 0;
    try {
      while (keys.hasNext()) {
        KvChunkKey key = keys.next();
        Loaded loaded = load(key);
        if (loaded.failure != null) {
          break;
        }
        int lowest = 0;
        for (Lease l : loaded.chunk.leases()) {
          lowest = Math.max(lowest, indexOf(l.tier()));
        }
        byTier[lowest] += key.tokens();
        hit = key.endToken();
        chunks.add(key);
        held.add(loaded.chunk);
      }
    } catch (RuntimeException e) {
      held.forEach(LoadedChunk::close);
      throw e;
    }
    stats.lookup(tokens.length, byTier);
    stats.leasedPrefixes.increment();
    maybeLogStats();
    KvLeasedPrefix prefix = new KvLeasedPrefix(this, lookupResult(tokens.length, hit, chunks.size(), byTier), chunks, held);
    leased.add(prefix);
    try {
      prefix.expireAfter(reaper.schedule(
          () -> prefix.expire(stats.expiredLeases::increment), timeout.toNanos(), TimeUnit.NANOSECONDS));
    } catch (RejectedExecutionException e) {
      prefix.release();
      throw new IllegalStateException("KV prefix cache for " + namespace.model() + " closed during the lookup", e);
    }
    return prefix;
  }

  void forget(KvLeasedPrefix prefix) {
    leased.remove(prefix);
  }

  private KvLookupResult lookupResult(int prompt, int hit, int chunks, int[] byTier) {
    Map<String, Integer> perTier = new LinkedHashMap<>();
    Map<KvMedium, Integer> perMedium = new EnumMap<>(KvMedium.class);
    for (int i = 0; i < byTier.length; i++) {
      perTier.put(tiers.get(i), byTier[i]);
      perMedium.merge(media.get(i), byTier[i], Integer::sum);
    }
    return new KvLookupResult(prompt, hit, chunks, perTier, perMedium);
  }

  // ---------------------------------------------------------------- load and check

  /** A chunk leased and checked, or why it could not be. */
  private record Loaded(LoadedChunk chunk, KvChunkFailure failure) {}

  /**
   * Leases every artifact of {@code key} and checks each. On a missing or corrupt artifact every
   * lease taken is closed, a corrupt artifact is deleted, and the failure is returned.
   */
  private Loaded load(KvChunkKey key) {
    int artifacts = bundled ? 1 : layers;
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
    ArtifactId id = artifactId(key, a);
    Lease lease = engine.tryLoad(id);
    if (lease == null) {
      return new KvChunkFailure(KvChunkFailure.Reason.MISSING, key, id, id + " is in no tier of " + tiers);
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
        events.publish(event(KvEvent.Type.REMOVED, key, "*"));
      }
      LOG.log(System.Logger.Level.WARNING, () -> "corrupt KV chunk " + id + " in tier " + tier + ": " + e.getMessage() + "; deleted");
      return new KvChunkFailure(KvChunkFailure.Reason.CORRUPT, key, id, "tier " + tier + ": " + e.getMessage());
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    }
  }

  private ArtifactMeta expectedMeta(int tokens, int firstLayer) {
    return tokens == chunkSize ? fullChunkMetas[firstLayer] : chunkMeta.meta(tokens, firstLayer);
  }

  private KvEvent event(KvEvent.Type type, KvChunkKey key, String tier) {
    return new KvEvent(type, namespace.idPrefix(), key.hash(), key.tokens(), tier, System.currentTimeMillis());
  }

  // ---------------------------------------------------------------- store

  /** {@link #store(int[], KvPages, int[], int)} from the first token. */
  public KvStoreResult store(int[] tokens, KvPages pages, int[] slotMapping) {
    return store(tokens, pages, slotMapping, 0);
  }

  /**
   * Stores the chunks of {@code tokens} from the chunk holding {@code fromToken} on, gathering
   * each chunk's rows from {@code pages} at the slots {@code slotMapping} gives (one slot per
   * token) straight into the head tier. Chunks before it are skipped without touching their slots
   * (they may be {@code -1}); their hashes are still part of the chain, so the keys are the same
   * as for a store from token 0. The chunk holding {@code fromToken} is stored whole, so its
   * slots from its first token must be valid. Chunks already stored are skipped. Stops at the
   * first chunk the engine refuses for lack of room, reporting it.
   *
   * @throws IllegalArgumentException if the pages do not match this cache's layout and layers, the
   *     slot mapping is not aligned with the tokens, {@code fromToken} is outside {@code [0,
   *     tokens.length]}, or a slot to gather is outside the pages
   */
  public KvStoreResult store(int[] tokens, KvPages pages, int[] slotMapping, int fromToken) {
    ensureOpen();
    checkRequest(tokens, pages, slotMapping, fromToken);
    stats.storeRequests.increment();
    int firstChunk = fromToken / chunkSize;
    Keys keys = new Keys(tokens).from(firstChunk);
    int storedChunks = 0;
    int deduped = 0;
    long bytes = 0;
    int end = Math.min(firstChunk * chunkSize, tokens.length);
    KvChunkFailure failure = null;
    while (keys.hasNext()) {
      KvChunkKey key = keys.next();
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
        events.publish(event(KvEvent.Type.STORED, key, headTier));
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
    for (int a = 0; a < (bundled ? 1 : layers); a++) {
      if (!engine.contains(artifactId(key, a))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Writes the artifacts of chunk {@code key} that are not stored yet; returns the bytes written,
   * or -1 if the whole chunk was there. The chunk is claimed as a whole (under the id of its first
   * artifact), so two requests never split one chunk's layers between them: when this returns the
   * chunk is stored (or this call threw), and exactly one caller reports having stored it.
   *
   * @throws ChunkRefused if a tier had no room for one of its artifacts
   */
  private long storeChunkOnce(KvChunkKey key, SlotRuns runs, KvPages pages) {
    ArtifactId claim = artifactId(key, 0);
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
        for (int a = 0; a < (bundled ? 1 : layers); a++) {
          ArtifactId id = artifactId(key, a);
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
    try (Reservation r = engine.reserve(id, expectedMeta(key.tokens(), firstLayer), size)) {
      MemorySegment dst = chunkMeta.dataOf(r.segment(), key.tokens());
      int perArtifact = chunkMeta.layersPerArtifact();
      for (int l = 0; l < perArtifact; l++) {
        runs.gather(pages.layer(firstLayer + l), dst, l);
      }
      r.commit();
    }
    return size;
  }

  // ---------------------------------------------------------------- retrieve

  /** {@link #retrieve(int[], KvPages, int[], int)} from the first token. */
  public KvRetrieveResult retrieve(int[] tokens, KvPages pages, int[] slotMapping) {
    return retrieve(tokens, pages, slotMapping, 0);
  }

  /**
   * Loads the cached chunks of {@code tokens} from the one holding {@code fromToken} on and
   * scatters each straight from the tier's bytes into {@code pages} at the slots {@code
   * slotMapping} gives; tokens before {@code fromToken} are neither loaded nor written (their
   * slots may be {@code -1}). Stops at the first chunk that is missing or corrupt and reports it;
   * no byte of that chunk or any later one is scattered.
   *
   * @throws IllegalArgumentException as {@link #store(int[], KvPages, int[], int)} does
   */
  public KvRetrieveResult retrieve(int[] tokens, KvPages pages, int[] slotMapping, int fromToken) {
    ensureOpen();
    checkRequest(tokens, pages, slotMapping, fromToken);
    stats.retrieveRequests.increment();
    return scatterChunks(new Keys(tokens).from(fromToken / chunkSize), this::load, pages, slotMapping, fromToken);
  }

  /**
   * Scatters the chunks of a leased prefix into {@code pages} and releases its leases. If the
   * leases were already released (timeout or {@link KvLeasedPrefix#release()}), the chunks are
   * loaded again, and any that is gone by now ends the retrieve as in {@link #retrieve(int[],
   * KvPages, int[], int)}.
   *
   * @throws IllegalArgumentException if the pages do not match this cache, or {@code slotMapping}
   *     does not cover the leased prefix or holds a slot outside the pages
   */
  public KvRetrieveResult retrieve(KvLeasedPrefix prefix, KvPages pages, int[] slotMapping) {
    ensureOpen();
    if (prefix.owner() != this) {
      throw new IllegalArgumentException("leased prefix: leased from another KV prefix cache (expected: one of this cache's)");
    }
    checkPages(pages);
    if (slotMapping.length < prefix.hitTokens()) {
      throw new IllegalArgumentException(
          "slotMapping: " + slotMapping.length + " slots (expected: at least the " + prefix.hitTokens() + " leased tokens)");
    }
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
        for (int l = 0; l < layers; l++) {
          scatterLayer(loaded.chunk, runs, pages, l);
        }
      } finally {
        loaded.chunk.close();
      }
      bytes += scatteredBytes(key.endToken() - from, layers);
      end = key.endToken();
      count++;
    }
    return retrieved(fromToken, end, count, bytes, failure);
  }

  private void scatterLayer(LoadedChunk chunk, SlotRuns runs, KvPages pages, int layer) {
    if (bundled) {
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

  /** {@link #retrieveLayerwise(int[], KvPages, int[], int)} from the first token. */
  public KvLayerwiseRetrieval retrieveLayerwise(int[] tokens, KvPages pages, int[] slotMapping) {
    return retrieveLayerwise(tokens, pages, slotMapping, 0);
  }

  /**
   * Starts a retrieve that fills the pages layer by layer in the background (see {@link
   * KvLayerwiseRetrieval}). With bundled chunks every chunk of the prefix is leased and checked
   * first, then scattered one layer at a time; with layers stored apart, layer {@code i}'s
   * artifacts are loaded and scattered while the caller works on layer {@code i - 1}. The arguments
   * are checked as by {@link #retrieve(int[], KvPages, int[], int)}, before this returns.
   */
  public KvLayerwiseRetrieval retrieveLayerwise(int[] tokens, KvPages pages, int[] slotMapping, int fromToken) {
    ensureOpen();
    checkRequest(tokens, pages, slotMapping, fromToken);
    stats.retrieveRequests.increment();
    KvLayerwiseRetrieval handle = new KvLayerwiseRetrieval(layers);
    int[] tokensCopy = tokens.clone();
    int[] slotsCopy = slotMapping.clone();
    executor.execute(() -> {
      try {
        if (bundled) {
          layerwiseBundled(handle, tokensCopy, pages, slotsCopy, fromToken);
        } else {
          layerwiseApart(handle, tokensCopy, pages, slotsCopy, fromToken);
        }
      } catch (RuntimeException | Error e) {
        handle.fail(e);
      }
    });
    return handle;
  }

  private void layerwiseBundled(KvLayerwiseRetrieval handle, int[] tokens, KvPages pages, int[] slots, int fromToken) {
    Keys keys = new Keys(tokens).from(fromToken / chunkSize);
    List<LoadedChunk> held = new ArrayList<>();
    List<SlotRuns> plans = new ArrayList<>();
    KvChunkFailure failure = null;
    int end = fromToken;
    try {
      while (keys.hasNext()) {
        KvChunkKey key = keys.next();
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
    Keys keys = new Keys(tokens).from(fromToken / chunkSize);
    List<KvChunkKey> chunks = new ArrayList<>();
    List<SlotRuns> plans = new ArrayList<>();
    KvChunkFailure failure = null;
    while (keys.hasNext()) {
      KvChunkKey key = keys.next();
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

  // ---------------------------------------------------------------- batches

  /** Looks up several prompts concurrently; results in the order given. */
  public List<KvLookupResult> lookupAll(List<int[]> prompts) {
    return runAll(prompts, this::lookup);
  }

  /**
   * Stores several requests concurrently; results in the order given. Requests that share a
   * prefix store each shared chunk once.
   */
  public List<KvStoreResult> storeAll(List<KvRequest> requests) {
    return runAll(requests, r -> store(r.tokens(), r.pages(), r.slotMapping(), r.fromToken()));
  }

  /** Retrieves several requests concurrently; results in the order given. */
  public List<KvRetrieveResult> retrieveAll(List<KvRequest> requests) {
    return runAll(requests, r -> retrieve(r.tokens(), r.pages(), r.slotMapping(), r.fromToken()));
  }

  private <T, R> List<R> runAll(List<T> inputs, Function<T, R> op) {
    ensureOpen();
    List<Future<R>> futures = new ArrayList<>(inputs.size());
    for (T in : inputs) {
      futures.add(executor.submit(() -> op.apply(in)));
    }
    List<R> out = new ArrayList<>(inputs.size());
    RuntimeException first = null;
    for (Future<R> f : futures) {
      try {
        out.add(f.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        futures.forEach(x -> x.cancel(true));
        throw new StrataCacheException("interrupted while waiting for a batch of " + inputs.size(), e);
      } catch (ExecutionException e) {
        if (first == null) {
          first = e.getCause() instanceof RuntimeException re
              ? re
              : new StrataCacheException("batch request failed: " + e.getCause(), e.getCause());
        }
      }
    }
    if (first != null) {
      throw first;
    }
    return out;
  }

  // ---------------------------------------------------------------- remove, close

  /**
   * Deletes every chunk of {@code tokens} (full chunks and, with {@code save_partial_chunks}, the
   * trailing partial one) from every tier, publishing a {@link KvEvent.Type#REMOVED} event for
   * each chunk that was present. Returns how many were.
   */
  public int remove(int[] tokens) {
    ensureOpen();
    int removed = 0;
    for (KvChunkKey key : chunkKeys(tokens)) {
      boolean any = false;
      for (int a = 0; a < (bundled ? 1 : layers); a++) {
        any |= engine.delete(artifactId(key, a));
      }
      if (any) {
        removed++;
        events.publish(event(KvEvent.Type.REMOVED, key, "*"));
      }
    }
    stats.removedChunks.add(removed);
    return removed;
  }

  /**
   * Releases every outstanding leased prefix, stops the lease timer and, if the cache made its own
   * executor, waits for running layer-wise retrieves. Does not close the engine. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    evictions.close();
    for (KvLeasedPrefix p : List.copyOf(leased)) {
      p.release();
    }
    reaper.shutdownNow();
    if (ownsExecutor) {
      executor.close();
    }
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("KV prefix cache for " + namespace.model() + " is closed");
    }
  }

  private void checkPages(KvPages pages) {
    if (!pages.layout().equals(layout)) {
      throw new IllegalArgumentException("pages layout: " + pages.layout() + " (expected: " + layout + ")");
    }
    if (pages.layerCount() != layers) {
      throw new IllegalArgumentException("pages: " + pages.layerCount() + " layers (expected: " + layers + ")");
    }
  }

  private void checkRequest(int[] tokens, KvPages pages, int[] slotMapping, int fromToken) {
    checkPages(pages);
    if (slotMapping.length != tokens.length) {
      throw new IllegalArgumentException(
          "slotMapping: " + slotMapping.length + " slots (expected: one per token, " + tokens.length + ")");
    }
    if (fromToken < 0 || fromToken > tokens.length) {
      throw new IllegalArgumentException("fromToken: " + fromToken + " (expected: 0 to " + tokens.length + ")");
    }
  }

  /**
   * With {@code logging.log_stats}, logs a statistics line (INFO) every {@code log_every} lookups,
   * at most one per {@code log_min_interval_s}.
   */
  private void maybeLogStats() {
    if (!logging.logStats()) {
      return;
    }
    long n = stats.lookups.sum();
    if (n % logging.logEvery() != 0) {
      return;
    }
    long now = System.nanoTime();
    long last = lastLogNanos.get();
    boolean tooSoon = last != Long.MIN_VALUE && now - last < (long) (logging.logMinIntervalS() * 1e9);
    if (tooSoon || !lastLogNanos.compareAndSet(last, now)) {
      return;
    }
    KvStats s = stats.snapshot();
    LOG.log(System.Logger.Level.INFO, () -> String.format(
        "kv %s: %d lookups, hit rate %.3f (%d of %d prompt tokens; by tier %s), stored %d chunks / %d bytes "
            + "(%d deduplicated), loaded %d chunks / %d bytes, %d corrupt",
        namespace.model(), s.lookups(), s.hitRate(), s.hitTokens(), s.promptTokens(), s.hitTokensByTier(),
        s.storedChunks(), s.storedBytes(), s.dedupedChunks(), s.loadedChunks(), s.loadedBytes(), s.corruptChunks()));
  }

  /**
   * Builds a {@link KvPrefixCache}. Model, layout and layers are required; each setting may be
   * given once.
   */
  public static final class Builder {
    private final StorageEngine engine;
    private String model;
    private int tpSize = 1;
    private int tpRank;
    private boolean tpSet;
    private String salt;
    private KvLayout layout;
    private int layers;
    private KvConfig config;
    private Duration leaseTimeout;
    private int eventCapacity;
    private ExecutorService executor;

    private Builder(StorageEngine engine) {
      this.engine = Objects.requireNonNull(engine, "engine");
    }

    /** The model name, part of every key. */
    public Builder model(String name) {
      once("model", model);
      model = Objects.requireNonNull(name, "model");
      return this;
    }

    /** Tensor-parallel size and this worker's rank (default 1 and 0). */
    public Builder tensorParallel(int size, int rank) {
      if (tpSet) {
        throw new ConfigException("builder: tensorParallel was already set to " + tpSize + "/" + tpRank);
      }
      tpSet = true;
      tpSize = size;
      tpRank = rank;
      return this;
    }

    /** A tenant salt: caches with different salts never share a chunk (default none). */
    public Builder salt(String value) {
      once("salt", salt);
      salt = Objects.requireNonNull(value, "salt");
      return this;
    }

    /** The layout of every layer's pages. */
    public Builder layout(KvLayout value) {
      once("layout", layout);
      layout = Objects.requireNonNull(value, "layout");
      return this;
    }

    /** Layers of the model. */
    public Builder layers(int value) {
      if (layers != 0) {
        throw new ConfigException("builder: layers was already set to " + layers);
      }
      if (value <= 0) {
        throw new ConfigException("builder: layers " + value + " (expected: > 0)");
      }
      layers = value;
      return this;
    }

    /** The KV settings (default: the engine configuration's {@code kv} section). */
    public Builder config(KvConfig value) {
      once("config", config);
      config = Objects.requireNonNull(value, "config");
      return this;
    }

    /** How long a leased prefix is held before it is released anyway (default 30 s). */
    public Builder leaseTimeout(Duration value) {
      once("leaseTimeout", leaseTimeout);
      if (value.isNegative() || value.isZero()) {
        throw new ConfigException("builder: leaseTimeout " + value + " (expected: > 0)");
      }
      leaseTimeout = value;
      return this;
    }

    /** Events kept for a router before the oldest are dropped (default 4096). */
    public Builder eventCapacity(int value) {
      if (eventCapacity != 0) {
        throw new ConfigException("builder: eventCapacity was already set to " + eventCapacity);
      }
      if (value <= 0) {
        throw new ConfigException("builder: eventCapacity " + value + " (expected: > 0)");
      }
      eventCapacity = value;
      return this;
    }

    /**
     * Where layer-wise retrieves and batches run (default: a virtual thread per task, owned and
     * closed by the cache). An executor given here stays the caller's to shut down.
     */
    public Builder executor(ExecutorService value) {
      once("executor", executor);
      executor = Objects.requireNonNull(value, "executor");
      return this;
    }

    private static void once(String what, Object current) {
      if (current != null) {
        throw new ConfigException("builder: " + what + " was already set to " + current);
      }
    }

    /**
     * Checks the settings and builds the cache.
     *
     * @throws ConfigException if model, layout or layers is missing, the chunk size is not
     *     positive, or the tensor codec is not {@code stable}
     * @throws IllegalArgumentException if the namespace fields are invalid (see {@link KvNamespace})
     */
    public KvPrefixCache build() {
      if (model == null) {
        throw new ConfigException("builder: model is not set (expected: the model name)");
      }
      if (layout == null) {
        throw new ConfigException("builder: layout is not set (expected: the pages' KvLayout)");
      }
      if (layers == 0) {
        throw new ConfigException("builder: layers is not set (expected: the model's layer count)");
      }
      if (config == null) {
        config = engine.config().kv();
      }
      if (config.chunkSize() <= 0) {
        throw new ConfigException("kv.chunk_size: " + config.chunkSize() + " (expected: > 0)");
      }
      if (!TensorCodec.NAME.equals(config.tensorCodec())) {
        throw new ConfigException(
            "kv.tensor_codec: \"" + config.tensorCodec() + "\" (expected: \"stable\"; KV chunks are raw C-order tensors)");
      }
      if (leaseTimeout == null) {
        leaseTimeout = Duration.ofSeconds(30);
      }
      if (eventCapacity == 0) {
        eventCapacity = 4096;
      }
      return new KvPrefixCache(this);
    }
  }
}
