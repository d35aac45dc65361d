package io.stratacache.backend.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CapacityException;
import io.stratacache.core.CodecException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.StrataCacheException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.spi.BatchAccess;
import io.stratacache.spi.Capability;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The remote shared tier: artifacts as {@code SCR1} records in Redis or Redis Cluster, through
 * Lettuce. Processes that open layers with the same servers and {@code key_prefix} share one
 * plane.
 *
 * <p>Design note. One artifact is one record (meta, id and checksums travel with the bytes) under
 * its head key; a record above {@code part_size} is cut into pieces, pieces 1..n-1 stored under
 * part keys first and the head (envelope plus piece 0) last, every key in the artifact's hash
 * slot ({@link RedisKeys}, {@link HeadLayout}). Replacing or deleting an artifact swaps or
 * deletes its head, one atomic command, then drops the old parts; a reader that meanwhile misses
 * a part of the generation it started with re-reads the head and tries again, so it sees the old
 * or the new artifact, never a mix. A part that is missing (or a record that fails its checksums,
 * or a foreign value under the prefix) under an unchanged head is a miss: counted as corrupt,
 * logged, and removed with a compare-and-delete script that leaves a concurrent replacement
 * alone.
 *
 * <p>Batches ({@link BatchAccess}) are pipelined: every command is sent before any reply is
 * awaited; Lettuce keeps one connection per node, so a batch costs one round trip per node, the
 * nodes working in parallel. Values are written from the caller's segment straight into Netty's
 * buffer and read from it straight into native memory that the lease owns ({@link Landing}).
 *
 * <p>Capacity and eviction belong to Redis: the layer declares {@link Capability#SELF_EVICTING}
 * and {@link Capability#SHARED}, its stats report the servers' {@code used_memory} and {@code
 * maxmemory}, its eviction listener is never called, and pins are advisory (kept by this
 * process, honoured by nothing in Redis). A TTL per artifact type is set on store and, if sliding,
 * restarted on each hit (the hit sends the PEXPIRE without waiting for its reply).
 *
 * <p>Faults: connection losses and time-outs feed a {@link CircuitBreaker}; every failure reaches
 * the caller as {@link LayerUnavailableException} (or {@link CapacityException} when Redis is out
 * of memory or a value would exceed its {@code proto-max-bulk-len}), never as a Lettuce
 * exception. Lettuce reconnects by itself, and the breaker's probe lets traffic resume.
 *
 * <p>Parts: the record protocol (parts first, head last, generation checks and re-reads,
 * compare-and-delete of damaged records) lives in {@link RedisRecords}; keys in {@link
 * RedisKeys}, connections in {@link RedisNodes}, the head's envelope in {@link HeadLayout}. This
 * class keeps the layer's calls, their argument checks, the per-artifact stripe locks, pins,
 * stats and the translation of faults.
 */
public final class RedisLayer implements MemoryLayer, BatchAccess {
  private static final System.Logger LOG = System.getLogger(RedisLayer.class.getName());
  /** A thread that owns nothing: a segment it may access is not confined to any thread. */
  private static final Thread NOT_THE_CALLER = Thread.ofPlatform().unstarted(() -> {});

  private final String name;
  private final RedisConfig config;
  private final RedisKeys keys;
  private final RedisNodes nodes;
  private final CircuitBreaker breaker;
  private final RedisRecords records;
  private final String where;
  private final long maxValueBytes;
  private final ReentrantLock[] stripes = new ReentrantLock[64];
  private final Map<ArtifactId, AtomicInteger> pins = new ConcurrentHashMap<>();
  private final AtomicLong puts = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private volatile LayerStats lastStats;
  private volatile boolean closed;

  private RedisLayer(String name, RedisConfig config, RedisNodes nodes) {
    this.name = name;
    this.config = config;
    this.keys = new RedisKeys(config.keyPrefix());
    this.nodes = nodes;
    this.where = "tier '" + name + "' (" + nodes.description() + ")";
    this.breaker = new CircuitBreaker(where, config.breakerFailures(), config.breakerOpen(), System::nanoTime);
    this.records = new RedisRecords(name, where, config, nodes);
    for (int i = 0; i < stripes.length; i++) {
      stripes[i] = new ReentrantLock();
    }
    long max = 512L << 20;
    for (String v : nodes.configOfMasters("proto-max-bulk-len")) {
      try {
        max = Math.min(max, Long.parseLong(v.trim()));
      } catch (NumberFormatException ignored) {
        // keep the default ceiling
      }
    }
    this.maxValueBytes = max;
    this.lastStats = new LayerStats(name, Math.max(config.capacityBytes(), 0), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  /**
   * Opens the layer described by {@code spec} (see {@link RedisConfig} for the settings) and
   * connects to the servers.
   *
   * @throws io.stratacache.core.ConfigException if a setting is invalid
   * @throws LayerUnavailableException if no server answers
   */
  public static RedisLayer open(LayerSpec spec) {
    Objects.requireNonNull(spec, "spec");
    RedisConfig config = RedisConfig.from(spec);
    RedisNodes nodes = RedisNodes.connect(config, spec.tier());
    boolean success = false;
    try {
      RedisLayer layer = new RedisLayer(spec.tier(), config, nodes);
      success = true;
      return layer;
    } catch (RuntimeException e) {
      throw e instanceof StrataCacheException ? e
          : new LayerUnavailableException("tier '" + spec.tier() + "': " + nodes.description() + " did not answer: " + describe(e), e);
    } finally {
      if (!success) {
        nodes.close();
      }
    }
  }

  /** The settings this layer was opened with. */
  public RedisConfig config() {
    return config;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.SHARED, Capability.SELF_EVICTING);
  }

  // ---------------------------------------------------------------- store

  @Override
  public void put(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(meta, "meta");
    Objects.requireNonNull(payload, "payload");
    ensureOpen();
    if (!payload.isAccessibleBy(NOT_THE_CALLER)) {
      // Netty encodes on its event loop, which cannot read a segment confined to this thread
      try (Arena shared = Arena.ofShared()) {
        MemorySegment copy = shared.allocate(Math.max(payload.byteSize(), 1), 64).asSlice(0, payload.byteSize());
        copy.copyFrom(payload);
        put(id, meta, copy);
      }
      return;
    }
    byte[] prefix = RecordCodec.encodePrefix(id, meta, payload, RedisRecords.ALIGN);
    long recordLength = prefix.length + payload.byteSize();
    long pieceSize = config.partSize();
    boolean parted = recordLength > pieceSize;
    long largest = parted ? pieceSize + HeadLayout.BYTES : recordLength;
    if (largest > maxValueBytes) {
      rejected.incrementAndGet();
      throw new CapacityException(
          where + ": artifact " + id + " of " + payload.byteSize() + " bytes needs a value of " + largest
              + " bytes (expected: at most the servers' proto-max-bulk-len, " + maxValueBytes + " bytes; lower part_size)");
    }
    long ttl = records.ttlMillis(meta);
    byte[] head = keys.head(id);
    breaker.admit();
    ReentrantLock lock = stripe(id);
    lock.lock();
    try {
      records.write(head, prefix, payload, recordLength, ttl);
      puts.incrementAndGet();
      breaker.success();
    } catch (Exception e) {
      RuntimeException failure = failure("store of " + id + " (" + payload.byteSize() + " bytes)", e);
      if (failure instanceof CapacityException) {
        rejected.incrementAndGet();
      }
      throw failure;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Reservation reserve(ArtifactId id, ArtifactMeta meta, long size) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(meta, "meta");
    if (size < 0) {
      throw new IllegalArgumentException("size: " + size + " (expected: 0 or more bytes)");
    }
    ensureOpen();
    return new RedisReservation(this, id, meta, size);
  }

  // ---------------------------------------------------------------- load

  @Override
  public Lease get(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    return getAll(List.of(id)).get(id);
  }

  @Override
  public Map<ArtifactId, Lease> getAll(Collection<ArtifactId> ids) {
    Objects.requireNonNull(ids, "ids");
    ensureOpen();
    List<ArtifactId> unique = new ArrayList<>(new LinkedHashSet<>(ids));
    for (ArtifactId id : unique) {
      Objects.requireNonNull(id, "ids contains null");
    }
    breaker.admit();
    Map<ArtifactId, Lease> out = new LinkedHashMap<>();
    List<RedisRecords.Read> reads = new ArrayList<>(unique.size());
    try {
      RedisClusterAsyncCommands<byte[], RedisCodec.Value> cmd = nodes.async();
      for (ArtifactId id : unique) {
        reads.add(records.read(id, keys.head(id)).sendHead(cmd));
      }
      for (RedisRecords.Read r : reads) {
        r.awaitHead();
      }
      for (RedisRecords.Read r : reads) {
        r.sendParts(cmd);
      }
      for (RedisRecords.Read r : reads) {
        r.awaitParts();
      }
      breaker.success();
      for (RedisRecords.Read r : reads) {
        Lease lease = r.finish(cmd);
        if (lease != null) {
          out.put(r.id, lease);
        }
      }
      return out;
    } catch (Exception e) {
      out.values().forEach(Lease::close);
      reads.forEach(RedisRecords.Read::abandon);
      throw failure("load of " + (unique.size() == 1 ? unique.getFirst() : unique.size() + " artifacts"), e);
    }
  }

  @Override
  public boolean contains(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    return containsAll(List.of(id)).getFirst();
  }

  @Override
  public List<Boolean> containsAll(Collection<ArtifactId> ids) {
    Objects.requireNonNull(ids, "ids");
    ensureOpen();
    breaker.admit();
    try {
      RedisClusterAsyncCommands<byte[], RedisCodec.Value> cmd = nodes.async();
      List<RedisFuture<Long>> replies = new ArrayList<>(ids.size());
      for (ArtifactId id : ids) {
        replies.add(cmd.exists(keys.head(Objects.requireNonNull(id, "ids contains null"))));
      }
      List<Boolean> out = new ArrayList<>(replies.size());
      for (RedisFuture<Long> r : replies) {
        out.add(records.await(r) > 0);
      }
      breaker.success();
      return out;
    } catch (Exception e) {
      throw failure("lookup of " + ids.size() + " artifacts", e);
    }
  }

  // ---------------------------------------------------------------- delete

  @Override
  public boolean delete(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    return deleteAll(List.of(id)) > 0;
  }

  @Override
  public int deleteAll(Collection<ArtifactId> ids) {
    Objects.requireNonNull(ids, "ids");
    ensureOpen();
    List<ArtifactId> unique = new ArrayList<>(new LinkedHashSet<>(ids));
    breaker.admit();
    List<ReentrantLock> held = new ArrayList<>();
    try {
      for (ReentrantLock l : stripesOf(unique)) {
        l.lock();
        held.add(l);
      }
      RedisClusterAsyncCommands<byte[], RedisCodec.Value> cmd = nodes.async();
      List<RedisFuture<RedisCodec.Value>> probes = new ArrayList<>();
      List<RedisFuture<Long>> dels = new ArrayList<>();
      for (ArtifactId id : unique) {
        byte[] head = keys.head(Objects.requireNonNull(id, "ids contains null"));
        probes.add(cmd.getrange(head, 0, HeadLayout.BYTES - 1));
        dels.add(cmd.del(head));
      }
      int n = 0;
      List<RedisFuture<Long>> partDels = new ArrayList<>();
      for (int i = 0; i < unique.size(); i++) {
        if (records.await(dels.get(i)) > 0) {
          n++;
        }
        pins.remove(unique.get(i));
        HeadLayout.Envelope env = records.envelopeOrNull(probes.get(i));
        if (env != null) {
          partDels.add(RedisRecords.deleteParts(cmd, keys.head(unique.get(i)), env));
        }
      }
      records.awaitAll(partDels);
      breaker.success();
      return n;
    } catch (Exception e) {
      throw failure("delete of " + (unique.size() == 1 ? unique.getFirst() : unique.size() + " artifacts"), e);
    } finally {
      for (int i = held.size() - 1; i >= 0; i--) {
        held.get(i).unlock();
      }
    }
  }

  // ---------------------------------------------------------------- pins, ids, stats

  /** Advisory: counted by this process; Redis may still evict the artifact (see the class note). */
  @Override
  public boolean pin(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    if (!contains(id)) {
      return false;
    }
    pins.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
    return true;
  }

  @Override
  public boolean unpin(ArtifactId id) {
    Objects.requireNonNull(id, "id");
    ensureOpen();
    boolean[] was = new boolean[1];
    pins.computeIfPresent(id, (k, c) -> {
      was[0] = true;
      return c.decrementAndGet() == 0 ? null : c;
    });
    return was[0];
  }

  /** Every artifact of the plane (one {@code SCAN} over every master). */
  @Override
  public List<ArtifactId> ids() {
    ensureOpen();
    breaker.admit();
    try {
      List<ArtifactId> out = new ArrayList<>();
      ScanIterator<byte[]> it = ScanIterator.scan(nodes.sync(), ScanArgs.Builder.matches(keys.headPattern()).limit(1000));
      while (it.hasNext()) {
        byte[] key = it.next();
        try {
          out.add(keys.decodeHead(key));
        } catch (CodecException foreign) {
          LOG.log(System.Logger.Level.DEBUG, () -> where + ": key " + RedisKeys.printable(key) + " is not an artifact's: " + foreign.getMessage());
        }
      }
      breaker.success();
      return out;
    } catch (Exception e) {
      throw failure("listing of the plane's artifacts", e);
    }
  }

  /**
   * Counters of this process, with the servers' memory: {@code usedBytes} is the sum of the
   * masters' {@code used_memory}, {@code capacityBytes} the sum of their {@code maxmemory} (or the
   * {@code capacity} setting, else {@link Long#MAX_VALUE}, when a master sets none), {@code
   * evictions} the sum of their {@code evicted_keys} and {@code artifacts} the plane's artifacts
   * (one {@code SCAN}). While Redis is unreachable the memory figures are the last ones read.
   */
  @Override
  public LayerStats stats() {
    ensureOpen();
    long used = lastStats.usedBytes();
    long capacity = lastStats.capacityBytes();
    long evictions = lastStats.evictions();
    long artifacts = lastStats.artifacts();
    try {
      breaker.admit();
      long u = 0;
      long m = 0;
      long ev = 0;
      boolean unlimited = false;
      for (String info : nodes.infoOfMasters("memory")) {
        u += field(info, "used_memory");
        long max = field(info, "maxmemory");
        unlimited |= max <= 0;
        m += max;
      }
      for (String info : nodes.infoOfMasters("stats")) {
        ev += field(info, "evicted_keys");
      }
      breaker.success();
      used = u;
      capacity = unlimited ? (config.capacityBytes() > 0 ? config.capacityBytes() : Long.MAX_VALUE) : m;
      evictions = ev;
      artifacts = ids().size();
    } catch (LayerUnavailableException unreachable) {
      // the last figures stand
    } catch (RuntimeException e) {
      RuntimeException f = failure("stats", e);
      LOG.log(System.Logger.Level.DEBUG, () -> where + ": stats kept the last figures: " + f.getMessage());
    }
    int pinned = 0;
    for (AtomicInteger c : pins.values()) {
      pinned += c.get() > 0 ? 1 : 0;
    }
    LayerStats s = new LayerStats(
        name, capacity, used, artifacts, records.openLeases(), pinned, records.hits(), records.misses(), puts.get(), evictions,
        rejected.get(), records.corrupt());
    lastStats = s;
    return s;
  }

  private static long field(String info, String key) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(key + ":")) {
        try {
          return Long.parseLong(line.substring(key.length() + 1).trim());
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 0;
  }

  /** Never called: Redis evicts by its own policy (the layer is {@link Capability#SELF_EVICTING}). */
  @Override
  public void setEvictionListener(EvictionListener listener) {
    Objects.requireNonNull(listener, "listener");
    ensureOpen();
  }

  /** The circuit breaker's state, for tests and diagnostics. */
  CircuitBreaker.State breakerState() {
    return breaker.state();
  }

  /** Largest value the servers accept ({@code proto-max-bulk-len}). */
  long maxValueBytes() {
    return maxValueBytes;
  }

  /** Closes the connections; the plane's artifacts stay in Redis. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    nodes.close();
  }

  // ---------------------------------------------------------------- helpers

  private void ensureOpen() {
    if (closed) {
      throw new LayerUnavailableException(where + " is closed (expected: calls before close())");
    }
  }

  private ReentrantLock stripe(ArtifactId id) {
    return stripes[(id.hashCode() * 0x9E3779B9 >>> 26) & (stripes.length - 1)];
  }

  private List<ReentrantLock> stripesOf(List<ArtifactId> ids) {
    boolean[] taken = new boolean[stripes.length];
    for (ArtifactId id : ids) {
      taken[(id.hashCode() * 0x9E3779B9 >>> 26) & (stripes.length - 1)] = true;
    }
    List<ReentrantLock> out = new ArrayList<>();
    for (int i = 0; i < taken.length; i++) {
      if (taken[i]) {
        out.add(stripes[i]);
      }
    }
    return out;
  }

  /**
   * The exception a caller sees for {@code e}: {@link CapacityException} when Redis is out of
   * memory, {@link LayerUnavailableException} otherwise (counted by the breaker when the server
   * was unreachable or slow). Never a Lettuce exception.
   */
  private RuntimeException failure(String what, Throwable e) {
    Throwable cause = e;
    while ((cause instanceof ExecutionException || cause instanceof java.util.concurrent.CompletionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof StrataCacheException s) {
      return s;
    }
    if (cause instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      return new LayerUnavailableException(where + ": " + what + " was interrupted", cause);
    }
    if (cause instanceof RedisCommandExecutionException refused) {
      breaker.success(); // the server answered
      String msg = String.valueOf(refused.getMessage());
      if (msg.startsWith("OOM")) {
        return new CapacityException(
            where + ": " + what + " refused: " + msg + " (expected: room under the servers' maxmemory, or an evicting maxmemory-policy such as allkeys-lru)");
      }
      return new LayerUnavailableException(where + ": " + what + " refused by Redis: " + msg, cause);
    }
    breaker.failure();
    return new LayerUnavailableException(where + ": " + what + " failed: " + describe(cause), cause);
  }

  /** A short description of a failure: its type and message. */
  static String describe(Throwable e) {
    if (e instanceof TimeoutException) {
      return "no reply in time";
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
