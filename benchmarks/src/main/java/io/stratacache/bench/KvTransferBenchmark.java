package io.stratacache.bench;

import io.stratacache.core.tensor.DType;
import io.stratacache.kv.KvConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.engine.StorageEngine;
import io.stratacache.kv.KvChunkLayout;
import io.stratacache.kv.KvLayout;
import io.stratacache.kv.KvPages;
import io.stratacache.kv.KvPrefixCache;
import io.stratacache.kv.KvRetrieveResult;
import io.stratacache.kv.KvStoreResult;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
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
 * Store and retrieve of one 256-token chunk of a Llama-3-8B-shaped KV cache (32 layers, 8 KV
 * heads, head dim 128, bf16, flash-attention pages, bundled: 32 MiB), against a plain gather and
 * scatter of the same bytes with the same slot mapping. Target: at least 0.9× the plain copy.
 *
 * <ul>
 *   <li>{@code store}: {@link KvPrefixCache#store}: hashing, a reservation in the {@code cpu} tier,
 *       the gather straight into it, the commit (and the eviction of an older chunk to make room).
 *       Each call stores a new prompt (its first token changes), so nothing is deduplicated.
 *   <li>{@code retrieve}: {@link KvPrefixCache#retrieve}: hashing, a lease, the metadata check and
 *       the scatter straight from the tier's bytes into the pages.
 *   <li>{@code plainGather} / {@code plainScatter}: a loop over layers, planes and tokens copying
 *       each token's row between the pages and a pre-touched 32 MiB buffer, as code without the
 *       adapter would. The gather writes each call into the next of four buffers, as the store
 *       writes into the next free part of a tier of four chunks, so that both write memory that is
 *       equally cold; the scatter reads one buffer, as retrieve reads the same stored chunk.
 *   <li>{@code plainScatterFromTier}: the same plain scatter, reading the stored chunk's bytes in
 *       the tier through a lease (what {@code retrieve} reads), to tell the adapter's cost from
 *       the cost of reading tier memory rather than a private buffer.
 *   <li>{@code contiguousCopy}: one 32 MiB {@link MemorySegment#copy} into the next of the four
 *       buffers: the memory-bandwidth floor.
 * </ul>
 *
 * {@code mapping}: {@code blocks} gives the chunk 16 whole blocks in a random order (how an engine
 * hands out blocks: runs of 16 slots); {@code shuffled} gives every token a random slot (no run
 * longer than one token).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
public class KvTransferBenchmark {
  static final int LAYERS = 32;
  static final int TOKENS = 256;
  static final int BLOCK = 16;
  static final int BLOCKS = 64;

  @Param({"blocks", "shuffled"})
  public String mapping;

  private final KvLayout layout = KvLayout.flashAttn(BLOCKS, BLOCK, 8, 128, DType.BF16);
  private Arena arena;
  private StorageEngine engine;
  private KvPrefixCache cache;
  private KvPages pages;
  private int[] slots;
  private int[] storeTokens;
  private int[] retrieveTokens;
  private ArtifactId retrieveId;
  private MemorySegment buffer;
  private final MemorySegment[] targets = new MemorySegment[4];
  private int next;
  private int target;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom random = new SplittableRandom(7);
    arena = Arena.ofShared();
    List<MemorySegment> layers = new ArrayList<>();
    for (int l = 0; l < LAYERS; l++) {
      MemorySegment s = arena.allocate(layout.layerBytes(), 4096);
      for (long o = 0; o < s.byteSize(); o += 8) {
        s.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, o, random.nextLong());
      }
      layers.add(s);
    }
    pages = new KvPages(layout, layers);
    slots = mapping.equals("blocks") ? blockSlots(random) : shuffledSlots(random);
    long chunkBytes = KvChunkLayout.payloadBytes(layout, LAYERS, TOKENS);
    // Room for four chunks: a store evicts the oldest; the retrieved chunk is stored again before each iteration.
    engine = StorageEngine.builder().tier("hot", "cpu", Map.of("capacity", 4 * chunkBytes)).build();
    cache = KvPrefixCache.builder(engine)
        .model("meta-llama/Meta-Llama-3-8B").layout(layout).layers(LAYERS)
        .config(KvConfig.builder().chunkSize(TOKENS).savePartialChunks(false).build())
        .build();
    storeTokens = new int[TOKENS];
    retrieveTokens = new int[TOKENS];
    for (int i = 0; i < TOKENS; i++) {
      storeTokens[i] = random.nextInt(128_256);
      retrieveTokens[i] = random.nextInt(128_256);
    }
    for (int i = 0; i < targets.length; i++) {
      targets[i] = arena.allocate(chunkBytes, 4096);
      targets[i].fill((byte) i);
    }
    buffer = arena.allocate(chunkBytes, 4096);
    plainCopy(buffer, true);
  }

  /** Stores the chunk {@code retrieve} loads: the store benchmark may have evicted it. */
  @Setup(Level.Iteration)
  public void storeRetrievedChunk() {
    KvStoreResult r = cache.store(retrieveTokens, pages, slots);
    if (!r.complete() || r.endToken() != TOKENS) {
      throw new IllegalStateException("setup: store " + r);
    }
    retrieveId = cache.chunkKeys(retrieveTokens).get(0).id();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    cache.close();
    engine.close();
    arena.close();
  }

  private int[] blockSlots(SplittableRandom random) {
    int[] blocks = shuffle(BLOCKS, random);
    int[] out = new int[TOKENS];
    for (int t = 0; t < TOKENS; t++) {
      out[t] = blocks[t / BLOCK] * BLOCK + t % BLOCK;
    }
    return out;
  }

  private int[] shuffledSlots(SplittableRandom random) {
    return java.util.Arrays.copyOf(shuffle(BLOCKS * BLOCK, random), TOKENS);
  }

  private static int[] shuffle(int n, SplittableRandom random) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  @Benchmark
  public long store() {
    storeTokens[0] = next++;
    KvStoreResult r = cache.store(storeTokens, pages, slots);
    if (r.storedChunks() != 1) {
      throw new IllegalStateException("store: " + r);
    }
    return r.storedBytes();
  }

  @Benchmark
  public long retrieve() {
    KvRetrieveResult r = cache.retrieve(retrieveTokens, pages, slots);
    if (r.loadedTokens() != TOKENS) {
      throw new IllegalStateException("retrieve: " + r);
    }
    return r.loadedBytes();
  }

  private MemorySegment nextTarget() {
    target = (target + 1) % targets.length;
    return targets[target];
  }

  @Benchmark
  public MemorySegment plainGather() {
    return plainCopy(nextTarget(), true);
  }

  @Benchmark
  public MemorySegment plainScatter() {
    return plainCopy(buffer, false);
  }

  @Benchmark
  public long plainScatterFromTier() {
    try (Lease lease = engine.load(retrieveId)) {
      plainCopy(lease.segment(), false);
      return lease.size();
    }
  }

  /** One row copy per layer, plane and token between the pages and {@code chunk}. */
  private MemorySegment plainCopy(MemorySegment chunk, boolean gather) {
    long row = layout.rowBytes();
    long off = 0;
    for (int l = 0; l < LAYERS; l++) {
      MemorySegment page = pages.layer(l);
      for (int p = 0; p < 2; p++) {
        for (int t = 0; t < TOKENS; t++) {
          long pageOffset = layout.rowOffset(p, slots[t]);
          if (gather) {
            MemorySegment.copy(page, pageOffset, chunk, off, row);
          } else {
            MemorySegment.copy(chunk, off, page, pageOffset, row);
          }
          off += row;
        }
      }
    }
    return chunk;
  }

  @Benchmark
  public MemorySegment contiguousCopy() {
    MemorySegment dst = nextTarget();
    MemorySegment.copy(buffer, 0, dst, 0, buffer.byteSize());
    return dst;
  }
}
