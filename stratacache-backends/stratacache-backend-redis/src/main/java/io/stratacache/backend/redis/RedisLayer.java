package io.stratacache.backend.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
 * <p>Size: over 600 lines because the store, load and batch paths share the part protocol (parts
 * first, head last, generation checks and retries, compare-and-delete of damaged records) and its
 * fault translation; keys ({@link RedisKeys}), connections ({@link RedisNodes}), the breaker and
 * the head layout already live in classes of their own. Splitting the record protocol into its own
 * class is the next step when it grows.
 */
public final class RedisLayer implements MemoryLayer, BatchAccess {
  private static final System.Logger LOG = System.getLogger(RedisLayer.class.getName());
  private static final int ALIGN = 8;
  private static final byte[] NONE = new byte[0];
  private static final long PART_TTL_MARGIN_MS = 60_000;
  private static final int READ_ATTEMPTS = 4;
  /** A thread that owns nothing: a segment it may access is not confined to any thread. */
  private static final Thread NOT_THE_CALLER = Thread.ofPlatform().unstarted(() -> {});
  private static final String DELETE_IF_UNCHANGED = """
      local t = redis.call('TYPE', KEYS[1])['ok']
      if t == 'none' then return 0 end
      if t == 'string' and redis.call('GETRANGE', KEYS[1], 0, #ARGV[1] - 1) ~= ARGV[1] then return 0 end
      return redis.call('DEL', KEYS[1])
      """;

  private final String name;
  private final RedisConfig config;
  private final RedisKeys keys;
  private final RedisNodes nodes;
  private final CircuitBreaker breaker;
  private final String where;
  private final long maxValueBytes;
  private final long awaitMillis;
  private final ReentrantLock[] stripes = new ReentrantLock[64];
  private final Map<ArtifactId, AtomicInteger> pins = new ConcurrentHashMap<>();
  private final AtomicLong openLeases = new AtomicLong();
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();
  private final AtomicLong puts = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong corrupt = new AtomicLong();
  private volatile LayerStats lastStats;
  private volatile boolean closed;

  private RedisLayer(String name, RedisConfig config, RedisNodes nodes) {
    this.name = name;
    this.config = config;
    this.keys = new RedisKeys(config.keyPrefix());
    this.nodes = nodes;
    this.where = "tier '" + name + "' (" + nodes.description() + ")";
    this.breaker = new CircuitBreaker(where, config.breakerFailures(), config.breakerOpen(), System::nanoTime);
    this.awaitMillis = config.commandTimeout().toMillis() + 1000;
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
    byte[] prefix = RecordCodec.encodePrefix(id, meta, payload, ALIGN);
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
    long ttl = ttlMillis(meta);
    byte[] head = keys.head(id);
    breaker.admit();
    ReentrantLock lock = stripe(id);
    lock.lock();
    List<byte[]> written = new ArrayList<>();
    try {
      RedisClusterAsyncCommands<byte[], RedisCodec.Value> cmd = nodes.async();
      RedisCodec.Value value;
      long generation = 0;
      if (parted) {
        generation = ThreadLocalRandom.current().nextLong() | 1;
        HeadLayout.Envelope env = new HeadLayout.Envelope(pieceSize, generation, recordLength);
        List<RedisFuture<String>> sets = new ArrayList<>();
        for (int i = 1; i < env.parts(); i++) {
          byte[] key = RedisKeys.part(head, generation, i);
          written.add(key);
          RedisCodec.Piece piece = new RedisCodec.Piece(NONE, prefix, payload, env.offset(i), env.offset(i) + env.length(i));
          sets.add(ttl > 0 ? cmd.set(key, piece, SetArgs.Builder.px(ttl + PART_TTL_MARGIN_MS)) : cmd.set(key, piece));
        }
        awaitAll(sets);
        value = new RedisCodec.Piece(HeadLayout.encode((int) pieceSize, generation, recordLength), prefix, payload, 0, pieceSize);
      } else {
        value = new RedisCodec.Piece(NONE, prefix, payload, 0, recordLength);
      }
      RedisFuture<RedisCodec.Value> old = cmd.getrange(head, 0, HeadLayout.BYTES - 1);
      RedisFuture<String> set = ttl > 0 ? cmd.set(head, value, SetArgs.Builder.px(ttl)) : cmd.set(head, value);
      await(set);
      written.clear();
      HeadLayout.Envelope previous = envelopeOrNull(old);
      if (previous != null && previous.generation() != generation) {
        await(deleteParts(cmd, head, previous));
      }
      puts.incrementAndGet();
      breaker.success();
    } catch (Exception e) {
      if (!written.isEmpty()) {
        dropQuietly(written);
      }
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
    return new RedisReservation(id, meta, size);
  }

  /** Space in native memory, stored with {@link #put} on commit. */
  private final class RedisReservation implements Reservation {
    private final ArtifactId id;
    private final ArtifactMeta meta;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment segment;
    private boolean done;

    RedisReservation(ArtifactId id, ArtifactMeta meta, long size) {
      this.id = id;
      this.meta = meta;
      this.segment = arena.allocate(Math.max(size, 1), 64).asSlice(0, size);
    }

    @Override
    public ArtifactId id() {
      return id;
    }

    @Override
    public synchronized MemorySegment segment() {
      if (done) {
        throw new IllegalStateException("reservation for " + id + " is already committed or closed");
      }
      return segment;
    }

    @Override
    public synchronized void commit() {
      if (done) {
        throw new IllegalStateException("reservation for " + id + " is already committed or closed");
      }
      try {
        put(id, meta, segment);
      } finally {
        done = true;
        arena.close();
      }
    }

    @Override
    public synchronized void close() {
      if (!done) {
        done = true;
        arena.close();
      }
    }
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
    List<Read> reads = new ArrayList<>(unique.size());
    try {
      RedisClusterAsyncCommands<byte[], RedisCodec.Value> cmd = nodes.async();
      for (ArtifactId id : unique) {
        reads.add(new Read(id, keys.head(id)).sendHead(cmd));
      }
      for (Read r : reads) {
        r.awaitHead();
      }
      for (Read r : reads) {
        r.sendParts(cmd);
      }
      for (Read r : reads) {
        r.awaitParts();
      }
      breaker.success();
      for (Read r : reads) {
        Lease lease = r.finish(cmd);
        if (lease != null) {
          out.put(r.id, lease);
        }
      }
      return out;
    } catch (Exception e) {
      out.values().forEach(Lease::close);
      reads.forEach(Read::abandon);
      throw failure("load of " + (unique.size() == 1 ? unique.getFirst() : unique.size() + " artifacts"), e);
    }
  }

  /** One artifact being read: its head, then its parts, then the decoded record. */
  private final class Read {
    final ArtifactId id;
    final byte[] head;
    Landing headLanding = Landing.deferred();
    RedisFuture<Landing.Reply> headReply;
    Landing record;
    HeadLayout.Envelope envelope;
    byte[] observed;
    final List<RedisFuture<Landing.Reply>> parts = new ArrayList<>();
    String damage;
    int attempts;

    Read(ArtifactId id, byte[] head) {
      this.id = id;
      this.head = head;
    }

    Read sendHead(RedisClusterAsyncCommands<byte[], RedisCodec.Value> cmd) {
      headReply = cmd.dispatch(CommandType.GET, new Landing.Whole(headLanding), new CommandArgs<>(RedisCodec.INSTANCE).addKey(head));
      return this;
    }

    void awaitHead() throws Exception {
      Landing.Reply reply;
      try {
        reply = await(headReply);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RedisCommandExecutionException wrongType && String.valueOf(wrongType.getMessage()).startsWith("WRONGTYPE")) {
          damage = "a value that is not a string";
          observed = NONE;
          return;
        }
        throw e;
      }
      if (reply != Landing.Reply.LANDED) {
        return; // nil: a miss
      }
      MemorySegment s = headLanding.segment();
      observed = s.asSlice(0, Math.min(s.byteSize(), HeadLayout.BYTES)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
      if (HeadLayout.isRecord(s)) {
        record = headLanding;
        headLanding = null;
        return;
      }
      envelope = HeadLayout.envelope(s);
      if (envelope == null) {
        damage = "a value that is not an SCR1 record (" + s.byteSize() + " bytes)";
      } else if (s.byteSize() != HeadLayout.BYTES + envelope.length(0)) {
        damage = "a head of " + s.byteSize() + " bytes (expected: " + (HeadLayout.BYTES + envelope.length(0)) + ")";
      }
    }

    void sendParts(RedisClusterAsyncCommands<byte[], RedisCodec.Value> cmd) {
      if (envelope == null || damage != null) {
        return;
      }
      record = Landing.ofSize(envelope.recordLength());
      MemorySegment.copy(headLanding.segment(), HeadLayout.BYTES, record.segment(), 0, envelope.length(0));
      headLanding.abandon();
      headLanding = null;
      for (int i = 1; i < envelope.parts(); i++) {
        byte[] key = RedisKeys.part(head, envelope.generation(), i);
        parts.add(cmd.dispatch(
            CommandType.GET, new Landing.At(record, envelope.offset(i), envelope.length(i)),
            new CommandArgs<>(RedisCodec.INSTANCE).addKey(key)));
      }
    }

    void awaitParts() throws Exception {
      for (int i = 0; i < parts.size(); i++) {
        Landing.Reply reply = await(parts.get(i));
        if (reply != Landing.Reply.LANDED && damage == null) {
          damage = "part " + (i + 1) + " of " + envelope.parts() + (reply == Landing.Reply.NIL ? " is missing" : " has the wrong length");
        }
      }
    }

    /** The lease, or {@code null} for a miss (after reporting and removing a damaged artifact). */
    Lease finish(RedisClusterAsyncCommands<byte[], RedisCodec.Value> cmd) throws Exception {
      if (observed == null) {
        misses.incrementAndGet();
        return null;
      }
      if (damage == null) {
        try {
          RecordCodec.Record rec = RecordCodec.decode(record.segment(), ALIGN);
          if (!rec.header().id().equals(id)) {
            damage = "a record of artifact " + rec.header().id();
          } else {
            hits.incrementAndGet();
            openLeases.incrementAndGet();
            if (config.ttlSliding()) {
              touch(cmd, rec.header().meta());
            }
            Landing owned = record;
            record = null;
            return new RedisLease(id, name, rec.header().meta(), owned, rec.payload(), openLeases);
          }
        } catch (CodecException e) {
          damage = e.getMessage();
        }
      }
      abandon();
      if (envelope != null && damage.startsWith("part ") && attempts < READ_ATTEMPTS && headChanged(cmd)) {
        // a replace or delete raced this read: read again from the new head
        Read again = new Read(id, head);
        again.attempts = attempts + 1;
        again.sendHead(cmd);
        again.awaitHead();
        again.sendParts(cmd);
        again.awaitParts();
        return again.finish(cmd);
      }
      reportDamaged(cmd);
      misses.incrementAndGet();
      return null;
    }

    private void touch(RedisClusterAsyncCommands<byte[], RedisCodec.Value> cmd, ArtifactMeta meta) {
      long ttl = ttlMillis(meta);
      if (ttl > 0) {
        cmd.pexpire(head, ttl);
        if (envelope != null) {
          for (int i = 1; i < envelope.parts(); i++) {
            cmd.pexpire(RedisKeys.part(head, envelope.generation(), i), ttl + PART_TTL_MARGIN_MS);
          }
        }
      }
    }

    private boolean headChanged(RedisClusterAsyncCommands<byte[], RedisCodec.Value> cmd) throws Exception {
      RedisCodec.Value now = await(cmd.getrange(head, 0, HeadLayout.BYTES - 1));
      return !(now instanceof RedisCodec.Bytes b) || !java.util.Arrays.equals(b.bytes(), observed);
    }

    private void reportDamaged(RedisClusterAsyncCommands<byte[], RedisCodec.Value> cmd) throws Exception {
      corrupt.incrementAndGet();
      LOG.log(System.Logger.Level.WARNING, () -> where + ": artifact " + id + " is damaged (" + damage + "); treated as a miss and removed");
      Long deleted = await(cmd.eval(DELETE_IF_UNCHANGED, ScriptOutputType.INTEGER, new byte[][] {head}, new RedisCodec.Bytes(observed)));
      if (envelope != null && deleted != null && deleted > 0) {
        await(deleteParts(cmd, head, envelope));
      }
    }

    void abandon() {
      if (headLanding != null) {
        headLanding.abandon();
      }
      if (record != null) {
        record.abandon();
      }
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
        out.add(await(r) > 0);
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
        if (await(dels.get(i)) > 0) {
          n++;
        }
        pins.remove(unique.get(i));
        HeadLayout.Envelope env = envelopeOrNull(probes.get(i));
        if (env != null) {
          partDels.add(deleteParts(cmd, keys.head(unique.get(i)), env));
        }
      }
      awaitAll(partDels);
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
        name, capacity, used, artifacts, openLeases.get(), pinned, hits.get(), misses.get(), puts.get(), evictions,
        rejected.get(), corrupt.get());
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

  private long ttlMillis(ArtifactMeta meta) {
    long ms = config.ttlOf(meta.type()).toMillis();
    return ms == 0 && !config.ttlOf(meta.type()).isZero() ? 1 : ms;
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

  private static RedisFuture<Long> deleteParts(
      RedisClusterAsyncCommands<byte[], RedisCodec.Value> cmd, byte[] head, HeadLayout.Envelope env) {
    byte[][] partKeys = new byte[env.parts() - 1][];
    for (int i = 1; i < env.parts(); i++) {
      partKeys[i - 1] = RedisKeys.part(head, env.generation(), i);
    }
    return cmd.del(partKeys);
  }

  private void dropQuietly(List<byte[]> written) {
    try {
      nodes.async().del(written.toArray(byte[][]::new));
    } catch (RuntimeException ignored) {
      // best effort: the parts of a failed store are unreachable without their head anyway
    }
  }

  private HeadLayout.Envelope envelopeOrNull(RedisFuture<RedisCodec.Value> probe) {
    try {
      RedisCodec.Value v = await(probe);
      return v instanceof RedisCodec.Bytes b ? HeadLayout.envelope(MemorySegment.ofArray(b.bytes())) : null;
    } catch (Exception notAString) {
      return null;
    }
  }

  private <T> T await(RedisFuture<T> f) throws ExecutionException, InterruptedException, TimeoutException {
    return f.get(awaitMillis, TimeUnit.MILLISECONDS);
  }

  private <T> void awaitAll(List<RedisFuture<T>> fs) throws ExecutionException, InterruptedException, TimeoutException {
    for (RedisFuture<T> f : fs) {
      await(f);
    }
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
