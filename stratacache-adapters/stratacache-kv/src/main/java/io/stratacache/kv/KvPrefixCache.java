package io.stratacache.kv;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ConfigException;
import io.stratacache.core.tensor.TensorCodec;
import io.stratacache.engine.EngineAdmin;
import io.stratacache.engine.StorageEngine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

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
 * <p>This class checks arguments and delegates to its parts: the keyspace (chunk keys and artifact
 * ids), the chunk writer (store), the chunk retriever (lookup, lease, retrieve), the lease
 * registry (leased prefixes and their timeouts) and the batch runner (layer-wise retrieves and
 * batches).
 *
 * <p>Thread-safe: any number of requests may look up, store and retrieve at once. Calls after
 * {@link #close()} throw {@link IllegalStateException}.
 */
public final class KvPrefixCache implements AutoCloseable {
  private final StorageEngine engine;
  private final KvLayout layout;
  private final KvConfig config;
  private final KvKeyspace keys;
  private final KvTiers tiers;
  private final KvStatsRecorder stats;
  private final KvEventQueue events;
  private final KvChunkWriter writer;
  private final KvChunkRetriever retriever;
  private final KvLeaseRegistry leases;
  private final KvBatchRunner runner;
  private final Duration leaseTimeout;
  private final LoggingConfig logging;
  private final EngineAdmin.Registration evictions;
  private final AtomicBoolean closed = new AtomicBoolean();

  private KvPrefixCache(Builder b) {
    this.engine = b.engine;
    this.layout = b.layout;
    this.config = b.config;
    KvNamespace namespace = new KvNamespace(b.model, b.tpSize, b.tpRank, layout.dtype(), layout.kind(), b.salt);
    this.keys = new KvKeyspace(namespace, config.chunkSize(), config.savePartialChunks(), config.bundleLayers(), b.layers);
    List<String> names = engine.tiers();
    List<String> providers = new ArrayList<>(names.size());
    for (String t : names) {
      providers.add(engine.tier(t).provider());
    }
    this.tiers = new KvTiers(names, providers);
    this.stats = new KvStatsRecorder(tiers.names(), tiers.media());
    this.events = new KvEventQueue(b.eventCapacity);
    KvChunkMeta chunkMeta = new KvChunkMeta(layout, config.bundleLayers(), b.layers, TensorCodec.of(config.tensorHeaderInPayload()));
    this.writer = new KvChunkWriter(engine, keys, layout, chunkMeta, tiers.head(), stats, events);
    this.retriever = new KvChunkRetriever(engine, keys, layout, chunkMeta, tiers, stats, events);
    this.leases = new KvLeaseRegistry(stats.expiredLeases, b.model);
    this.runner = new KvBatchRunner(b.executor);
    this.leaseTimeout = b.leaseTimeout;
    this.logging = LoggingConfig.from(engine.config());
    this.evictions = engine.admin().onEviction(this::onEvicted);
  }

  /** Publishes a {@link KvEvent.Type#REMOVED} event when a tier evicts one of this cache's chunks. */
  private void onEvicted(String tier, ArtifactId id, ArtifactMeta meta) {
    String hash = keys.hashOf(id);
    if (hash == null) {
      return;
    }
    int tokens;
    try {
      tokens = Integer.parseInt(meta.attribute(KvChunkMeta.TOKENS));
    } catch (NumberFormatException e) {
      tokens = 0; // not a chunk this cache wrote; the hash is still the chunk's
    }
    events.publish(new KvEvent(KvEvent.Type.REMOVED, keys.namespace().idPrefix(), hash, tokens, tier, System.currentTimeMillis()));
  }

  /** A builder of a cache over {@code engine}; the engine stays the caller's to close. */
  public static Builder builder(StorageEngine engine) {
    return new Builder(engine);
  }

  /** The namespace every key of this cache is derived from. */
  public KvNamespace namespace() {
    return keys.namespace();
  }

  /** The layout of each layer's pages. */
  public KvLayout layout() {
    return layout;
  }

  /** Layers of the model. */
  public int layers() {
    return keys.layers();
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
   *
   * @throws NullPointerException if {@code tokens} is null
   */
  public List<KvChunkKey> chunkKeys(int[] tokens) {
    ensureOpen();
    KvKeyspace.Keys walk = keys.keys(tokens);
    List<KvChunkKey> out = new ArrayList<>(walk.count());
    while (walk.hasNext()) {
      out.add(walk.next());
    }
    return out;
  }

  /**
   * The tier holding {@code chunk}, or {@code null} if none holds it all. When layers are stored
   * apart, the lowest tier holding one of its layers (and {@code null} if any layer is missing).
   */
  public String tierOf(KvChunkKey chunk) {
    ensureOpen();
    Objects.requireNonNull(chunk, "chunk");
    int t = retriever.tierIndexOf(chunk);
    return t < 0 ? null : tiers.name(t);
  }

  /** Whether some tier holds all of {@code chunk}. */
  public boolean contains(KvChunkKey chunk) {
    return tierOf(chunk) != null;
  }

  // ---------------------------------------------------------------- lookup

  /**
   * How many of {@code tokens} are cached as a contiguous prefix from the first token, and in
   * which tiers. A chunk missing in the middle ends the prefix, whatever follows it.
   */
  public KvLookupResult lookup(int[] tokens) {
    ensureOpen();
    Objects.requireNonNull(tokens, "tokens");
    KvLookupEvent event = new KvLookupEvent();
    event.begin();
    KvLookupResult r = retriever.lookup(tokens);
    event.commit(keys.namespace().model(), r, false);
    stats.maybeLog(logging, keys.namespace().model());
    return r;
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
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("lease timeout: " + timeout + " (expected: > 0)");
    }
    KvLookupEvent event = new KvLookupEvent();
    event.begin();
    KvChunkRetriever.Leased chunks = retriever.lookupAndLease(tokens);
    event.commit(keys.namespace().model(), chunks.lookup(), true);
    stats.maybeLog(logging, keys.namespace().model());
    return leases.hold(chunks, timeout);
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
    return writer.store(tokens, pages, slotMapping, fromToken);
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
    return retriever.retrieve(tokens, pages, slotMapping, fromToken);
  }

  /**
   * Scatters the chunks of a leased prefix into {@code pages} and releases its leases. If the
   * leases were already released (timeout or {@link KvLeasedPrefix#release()}), the chunks are
   * loaded again, and any that is gone by now ends the retrieve as in {@link #retrieve(int[],
   * KvPages, int[], int)}.
   *
   * @throws IllegalArgumentException if the prefix was leased from another cache, the pages do not
   *     match this cache, or {@code slotMapping} does not cover the leased prefix or holds a slot
   *     outside the pages
   */
  public KvRetrieveResult retrieve(KvLeasedPrefix prefix, KvPages pages, int[] slotMapping) {
    ensureOpen();
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(slotMapping, "slotMapping");
    if (prefix.owner() != leases) {
      throw new IllegalArgumentException("leased prefix: leased from another KV prefix cache (expected: one of this cache's)");
    }
    checkPages(pages);
    if (slotMapping.length < prefix.hitTokens()) {
      throw new IllegalArgumentException(
          "slotMapping: " + slotMapping.length + " slots (expected: at least the " + prefix.hitTokens() + " leased tokens)");
    }
    return retriever.retrieve(prefix, pages, slotMapping);
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
    KvLayerwiseRetrieval handle = new KvLayerwiseRetrieval(keys.layers());
    int[] tokensCopy = tokens.clone();
    int[] slotsCopy = slotMapping.clone();
    runner.execute(() -> {
      try {
        retriever.retrieveLayerwise(handle, tokensCopy, pages, slotsCopy, fromToken);
      } catch (RuntimeException | Error e) {
        handle.fail(e);
      }
    });
    return handle;
  }

  // ---------------------------------------------------------------- batches

  /** Looks up several prompts concurrently; results in the order given. */
  public List<KvLookupResult> lookupAll(List<int[]> prompts) {
    ensureOpen();
    return runner.runAll(Objects.requireNonNull(prompts, "prompts"), this::lookup);
  }

  /**
   * Stores several requests concurrently; results in the order given. Requests that share a
   * prefix store each shared chunk once.
   */
  public List<KvStoreResult> storeAll(List<KvRequest> requests) {
    ensureOpen();
    return runner.runAll(Objects.requireNonNull(requests, "requests"),
        r -> store(r.tokens(), r.pages(), r.slotMapping(), r.fromToken()));
  }

  /** Retrieves several requests concurrently; results in the order given. */
  public List<KvRetrieveResult> retrieveAll(List<KvRequest> requests) {
    ensureOpen();
    return runner.runAll(Objects.requireNonNull(requests, "requests"),
        r -> retrieve(r.tokens(), r.pages(), r.slotMapping(), r.fromToken()));
  }

  // ---------------------------------------------------------------- remove, close

  /**
   * Deletes every chunk of {@code tokens} (full chunks and, with {@code save_partial_chunks}, the
   * trailing partial one) from every tier, publishing a {@link KvEvent.Type#REMOVED} event for
   * each chunk that was present. Returns how many were.
   */
  public int remove(int[] tokens) {
    int removed = 0;
    for (KvChunkKey key : chunkKeys(tokens)) {
      boolean any = false;
      for (int a = 0; a < keys.artifactsPerChunk(); a++) {
        any |= engine.delete(keys.artifactId(key, a));
      }
      if (any) {
        removed++;
        events.publish(keys.event(KvEvent.Type.REMOVED, key, "*"));
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
    leases.close();
    runner.close();
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("KV prefix cache for " + keys.namespace().model() + " is closed");
    }
  }

  private void checkPages(KvPages pages) {
    Objects.requireNonNull(pages, "pages");
    if (!pages.layout().equals(layout)) {
      throw new IllegalArgumentException("pages layout: " + pages.layout() + " (expected: " + layout + ")");
    }
    if (pages.layerCount() != keys.layers()) {
      throw new IllegalArgumentException("pages: " + pages.layerCount() + " layers (expected: " + keys.layers() + ")");
    }
  }

  private void checkRequest(int[] tokens, KvPages pages, int[] slotMapping, int fromToken) {
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(slotMapping, "slotMapping");
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
        config = KvConfig.from(engine.config());
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
