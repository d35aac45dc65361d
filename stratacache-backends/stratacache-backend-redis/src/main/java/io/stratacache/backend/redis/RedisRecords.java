package io.stratacache.backend.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CodecException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.spi.Lease;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The record protocol of {@link RedisLayer}: how one artifact's {@code SCR1} record is written
 * to, read from and removed from Redis. A record up to {@code part_size} bytes is its head key's
 * value; a larger one is cut into pieces ({@link HeadLayout}), pieces 1..n-1 written under part
 * keys of a fresh random generation first, with the TTL plus a margin, and the head (envelope and
 * piece 0) last, so a reader that finds the head finds its parts. Replacing a head drops the old
 * generation's parts. A {@link Read} fetches the head, then the parts straight into native memory
 * ({@link Landing}), and decodes the record; a part missing under a head that changed meanwhile
 * (a concurrent replace or delete) is read again from the new head, at most {@value
 * #READ_ATTEMPTS} times; damage under an unchanged head is counted, logged and removed with a
 * compare-and-delete script that leaves a concurrent replacement alone. A hit under a sliding TTL
 * restarts the TTL of the head and its parts without waiting for the reply.
 *
 * <p>It counts what reads find (hits, misses, damaged records) and the leases open, for the
 * layer's stats. Failures reach the caller as the exceptions of Lettuce or of the wait ({@link
 * #await}); the layer translates them and feeds its circuit breaker.
 *
 * <p>Thread-safety: no mutable state beyond its atomic counters; a {@link Read} belongs to the
 * thread that made it. {@link #write} is called holding the artifact's stripe lock in the layer,
 * as are the layer's deletes that use {@link #deleteParts}; reads take no lock (the generation
 * checks make them safe against a concurrent write or delete).
 */
final class RedisRecords {
  private static final System.Logger LOG = System.getLogger(RedisLayer.class.getName());
  /** Alignment of the payload within a record. */
  static final int ALIGN = 8;
  private static final byte[] NONE = new byte[0];
  private static final long PART_TTL_MARGIN_MS = 60_000;
  private static final int READ_ATTEMPTS = 4;
  private static final String DELETE_IF_UNCHANGED = """
      local t = redis.call('TYPE', KEYS[1])['ok']
      if t == 'none' then return 0 end
      if t == 'string' and redis.call('GETRANGE', KEYS[1], 0, #ARGV[1] - 1) ~= ARGV[1] then return 0 end
      return redis.call('DEL', KEYS[1])
      """;

  private final String name;
  private final String where;
  private final RedisConfig config;
  private final RedisNodes nodes;
  private final long awaitMillis;
  private final AtomicLong openLeases = new AtomicLong();
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();
  private final AtomicLong corrupt = new AtomicLong();

  /** The records of tier {@code name} (described as {@code where} in messages) on {@code nodes}. */
  RedisRecords(String name, String where, RedisConfig config, RedisNodes nodes) {
    this.name = name;
    this.where = where;
    this.config = config;
    this.nodes = nodes;
    this.awaitMillis = config.commandTimeout().toMillis() + 1000;
  }

  // ---------------------------------------------------------------- write

  /**
   * Writes a record of {@code recordLength} bytes, {@code prefix} followed by {@code payload},
   * under {@code head} with a TTL of {@code ttl} ms (none if 0): its parts first, if it needs
   * any, then the head; then drops the parts of the version it replaced. On failure drops, best
   * effort, the parts it wrote whose head was not written, and rethrows. Caller holds the
   * artifact's stripe lock.
   */
  void write(byte[] head, byte[] prefix, MemorySegment payload, long recordLength, long ttl) throws Exception {
    long pieceSize = config.partSize();
    boolean parted = recordLength > pieceSize;
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
    } catch (Exception e) {
      if (!written.isEmpty()) {
        dropQuietly(written);
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- read

  /** A read of {@code id}, whose head key is {@code head}; nothing is sent yet. */
  Read read(ArtifactId id, byte[] head) {
    return new Read(id, head);
  }

  /** One artifact being read: its head, then its parts, then the decoded record. */
  final class Read {
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

  // ---------------------------------------------------------------- helpers

  /** The TTL of an artifact of {@code meta}'s type in ms, 0 for none (a TTL under 1 ms is 1 ms). */
  long ttlMillis(ArtifactMeta meta) {
    long ms = config.ttlOf(meta.type()).toMillis();
    return ms == 0 && !config.ttlOf(meta.type()).isZero() ? 1 : ms;
  }

  /** Deletes the parts (not the head) of {@code head}'s generation in {@code env}; the reply is not awaited. */
  static RedisFuture<Long> deleteParts(
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

  /** The envelope a {@code GETRANGE} of a head's first bytes found, or {@code null} (no head, a whole record, or not a string). */
  HeadLayout.Envelope envelopeOrNull(RedisFuture<RedisCodec.Value> probe) {
    try {
      RedisCodec.Value v = await(probe);
      return v instanceof RedisCodec.Bytes b ? HeadLayout.envelope(MemorySegment.ofArray(b.bytes())) : null;
    } catch (Exception notAString) {
      return null;
    }
  }

  /** The reply of {@code f}, waiting at most the command time-out plus a second. */
  <T> T await(RedisFuture<T> f) throws ExecutionException, InterruptedException, TimeoutException {
    return f.get(awaitMillis, TimeUnit.MILLISECONDS);
  }

  <T> void awaitAll(List<RedisFuture<T>> fs) throws ExecutionException, InterruptedException, TimeoutException {
    for (RedisFuture<T> f : fs) {
      await(f);
    }
  }

  /** Artifacts found and leased. */
  long hits() {
    return hits.get();
  }

  /** Reads that found no artifact, or a damaged one. */
  long misses() {
    return misses.get();
  }

  /** Damaged records found (and removed). */
  long corrupt() {
    return corrupt.get();
  }

  /** Leases handed out and not yet closed. */
  long openLeases() {
    return openLeases.get();
  }
}
