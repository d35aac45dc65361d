package io.stratacache.bench;

import io.stratacache.core.tensor.DType;
import io.stratacache.kv.KvConfig;
import io.stratacache.engine.StorageEngine;
import io.stratacache.kv.KvChunkHasher;
import io.stratacache.kv.KvLayout;
import io.stratacache.kv.KvLookupResult;
import io.stratacache.kv.KvPages;
import io.stratacache.kv.KvPrefixCache;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Prefix lookup of a prompt of 4K, 128K or 1M tokens (chunks of 256) whose chunks are all stored,
 * in one {@code cpu} tier. Targets: the whole lookup at most 0.5 ms at 128K tokens and 4 ms at 1M,
 * against a floor of one SHA-256 pass over the token bytes.
 *
 * <ul>
 *   <li>{@code sha256Limit}: one {@link MessageDigest} pass over the same token bytes (4 a token),
 *       already little-endian in a byte array: the SHA-256 throughput of this JVM and CPU, the
 *       floor for any chained scheme. Per call.
 *   <li>{@code chainedHash}: the key chain as lookup computes it (parent ‖ chunk, one digest per
 *       chunk, int to little-endian conversion included). Per call.
 *   <li>{@code lookup}: {@link KvPrefixCache#lookup}: hashing, ids and one tier probe per chunk.
 *       Per call.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
public class KvLookupBenchmark {
  static final int CHUNK = 256;

  @Param({"4096", "131072", "1048576"})
  public int tokenCount;

  private StorageEngine engine;
  private KvPrefixCache cache;
  private int[] tokens;
  private byte[] tokenBytes;
  private byte[] seed;
  private MessageDigest digest;
  private KvChunkHasher hasher;

  @Setup(Level.Trial)
  public void setUp() throws NoSuchAlgorithmException {
    // The smallest payload that keeps every chunk a real stored artifact: 2 KiB per chunk.
    int n = tokenCount;
    KvLayout layout = KvLayout.mla(n / 16, 16, 8, DType.F8_E4M3);
    long capacity = Math.max(8L << 20, n * 16L);
    engine = StorageEngine.builder().tier("hot", "cpu", Map.of("capacity", capacity)).build();
    cache = KvPrefixCache.builder(engine)
        .model("bench").layout(layout).layers(1)
        .config(KvConfig.builder().chunkSize(CHUNK).build())
        .build();
    SplittableRandom random = new SplittableRandom(42);
    tokens = new int[n];
    int[] slots = new int[n];
    for (int i = 0; i < n; i++) {
      tokens[i] = random.nextInt(128_256);
      slots[i] = i;
    }
    try (Arena arena = Arena.ofConfined()) {
      KvPages pages = new KvPages(layout, List.of(arena.allocate(layout.layerBytes())));
      cache.store(tokens, pages, slots);
    }
    KvLookupResult check = cache.lookup(tokens);
    if (check.hitTokens() != n || check.hitChunks() != n / CHUNK) {
      throw new IllegalStateException("setup: lookup found " + check + " (expected: every chunk)");
    }
    tokenBytes = new byte[n * Integer.BYTES];
    MemorySegment.copy(tokens, 0, MemorySegment.ofArray(tokenBytes),
        ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, n);
    seed = cache.namespace().seed();
    digest = MessageDigest.getInstance("SHA-256");
    hasher = new KvChunkHasher(CHUNK);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    cache.close();
    engine.close();
  }

  /** Per call: divide by {@code tokenCount} for ns per token. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public byte[] sha256Limit() {
    digest.update(tokenBytes);
    return digest.digest();
  }

  /** Per call: divide by {@code tokenCount} for ns per token. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public byte[] chainedHash() {
    byte[] parent = seed.clone();
    for (int from = 0; from < tokenCount; from += CHUNK) {
      hasher.hash(parent, tokens, from, from + CHUNK, parent);
    }
    return parent;
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public int lookup() {
    return cache.lookup(tokens).hitTokens();
  }
}
