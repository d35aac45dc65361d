package io.stratacache.bench;

import io.stratacache.core.ArtifactId;
import io.stratacache.cli.bench.MemoryContenders;
import io.stratacache.cli.bench.MemoryContenders.KeyedCache;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.ehcache.impl.serialization.ByteArraySerializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU tier against what a user would cache artifacts with instead, Ehcache 3 off-heap and
 * Caffeine, for artifacts that live in native memory and must end up in native memory again.
 *
 * <p>Each contender ({@code impl}) holds two artifacts of {@code mib} MiB with the same bytes: one
 * that {@code put} replaces on every call (the update of a hot artifact) and one that {@code get}
 * and {@code read} fetch. Every contender gets a capacity of {@value #CAPACITY_ARTIFACTS}
 * artifacts, the same pre-touched source and destination segments, the same warm-up and the same
 * JVM flags (a fixed, pre-touched heap large enough for Caffeine's and Ehcache's heap copies). The
 * Ehcache and Caffeine contenders are those of {@code stratacache bench} ({@link
 * MemoryContenders}), so both measure the same caches with the same copies.
 *
 * <ul>
 *   <li>{@code put}: store the bytes of a native segment under the same key. {@code
 *       stratacache-cpu}: {@link StorageEngine#store}, one copy into the tier's slab. {@code
 *       ehcache-offheap}: {@code put} of a {@link java.nio.ByteBuffer} view of the segment;
 *       Ehcache reads the old value out into a new heap buffer, copies the new one into another
 *       behind its entry header, then into its off-heap pages. {@code caffeine}: {@code toArray} (a new array and a copy; a fresh one each call, since the cache
 *       keeps the array itself) and {@code put}.
 *   <li>{@code get}: fetch into a caller-owned native segment. {@code stratacache-cpu}: {@link
 *       StorageEngine#loadInto}, one copy. {@code ehcache-offheap}: {@code get}, which copies out of
 *       the off-heap pages into a new heap buffer (twice when the value spans several of its pages,
 *       as large values do), then a copy into the segment. {@code caffeine}: {@code getIfPresent}
 *       and one copy of the array into the segment.
 *   <li>{@code read}: the cheapest access each offers to the stored bytes, reading one byte.
 *       {@code stratacache-cpu}: a lease, a read-only view of the slab (no copy). {@code caffeine}:
 *       the cached array itself (no copy, but on the heap, not in native memory, and only a
 *       convention keeps the caller from modifying it). {@code ehcache-offheap}: {@code get}, which
 *       always copies out of off-heap.
 * </ul>
 *
 * <p>Ehcache's value type. Ehcache stores off-heap values in serialized form, through a {@link
 * org.ehcache.spi.serialization.Serializer}. Its built-in {@code byte[]} serializer makes a put cost
 * one more copy: the caller first copies the segment into an array. A {@link java.nio.ByteBuffer}
 * can view the caller's segment directly, so with a three-method serializer ({@link
 * MemoryContenders.ViewSerializer}) the bytes reach Ehcache without that copy; a get costs the
 * same either way, since a serializer must return bytes it owns. {@code ByteBuffer} is thus the fastest correct choice. {@code -p
 * impl=ehcache-offheap-bytes} runs the {@code byte[]} variant (reusing one array for puts, which
 * is safe because the off-heap store keeps no reference to it). {@code -p impl=memcpy} runs the
 * limit: a plain {@link MemorySegment#copy} into and out of a pre-touched segment.
 *
 * <p>Passes over the artifact's bytes bound the ratios. A {@code get} is one copy for the CPU tier
 * and for Caffeine alike, so the two can only tie. A {@code put} is one copy for the CPU tier, two
 * passes for Caffeine (zeroing the new array, then the copy) and about five for Ehcache (its put
 * also reads the old value out to the heap). {@code -prof gc} shows the heap side: Caffeine
 * allocates the artifact's size per put, Ehcache twice the artifact's size per put and per get.
 *
 * <p>Target (DESIGN.md): {@code stratacache-cpu} at least 3x faster than both others at 16 MiB,
 * for {@code put} and for {@code get}: compare their scores at equal {@code mib}. The setup and the
 * tear-down check that each contender returns the bytes it was given. Run: {@code java
 * --enable-native-access=ALL-UNNAMED -jar benchmarks/target/benchmarks.jar CacheComparison -f 1
 * -wi 3 -i 5 -w 1 -r 1}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
// A fixed, pre-touched heap, as the native buffers are; regions of 4 MiB (what G1 picks for an
// 8 GiB heap) make 1 MiB arrays ordinary allocations rather than humongous ones, which helps
// Caffeine's puts at 1 MiB (by about a fifth) and changes nothing measurable at 16 MiB.
@Fork(
    value = 2,
    jvmArgsAppend = {
      "--enable-native-access=ALL-UNNAMED", "-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch", "-XX:G1HeapRegionSize=4m"
    })
public class CacheComparisonBenchmark {
  /** Capacity of every contender, in artifacts of the benchmark's size. */
  static final int CAPACITY_ARTIFACTS = 8;

  /** Key of the artifact {@code put} replaces. */
  static final int UPDATED = 0;

  /** Key of the artifact {@code get} and {@code read} fetch. */
  static final int STORED = 1;

  @Param({"stratacache-cpu", "ehcache-offheap", "caffeine"})
  public String impl;

  @Param({"1", "16"})
  public int mib;

  private Arena arena;
  private MemorySegment src;
  private MemorySegment dst;
  private long last;
  private KeyedCache contender;

  @Setup(Level.Trial)
  public void setUp() {
    long size = (long) mib << 20;
    arena = Arena.ofShared();
    src = Payloads.patterned(arena, size);
    dst = Payloads.pretouched(arena, size);
    last = size - 1;
    contender = open(impl, size, CAPACITY_ARTIFACTS * size);
    contender.put(UPDATED, src);
    contender.put(STORED, src);
    check(STORED);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    try {
      check(UPDATED);
      check(STORED);
    } finally {
      contender.close();
      arena.close();
    }
  }

  /** Fails the trial unless the artifact under {@code key} holds exactly the source's bytes. */
  private void check(int key) {
    dst.fill((byte) 0);
    contender.getInto(key, dst);
    long mismatch = src.mismatch(dst);
    if (mismatch != -1) {
      throw new IllegalStateException(
          impl + ": artifact " + key + " differs from the bytes stored at offset " + mismatch + " (expected: an exact copy of "
              + src.byteSize() + " bytes)");
    }
  }

  @Benchmark
  public KeyedCache put() {
    contender.put(UPDATED, src);
    return contender;
  }

  @Benchmark
  public MemorySegment get() {
    contender.getInto(STORED, dst);
    return dst;
  }

  @Benchmark
  public byte read() {
    return contender.readByte(STORED, last);
  }

  /**
   * Opens contender {@code impl} for artifacts of {@code size} bytes with room for {@code
   * capacity} bytes.
   *
   * @throws IllegalArgumentException if {@code impl} names no contender
   */
  static KeyedCache open(String impl, long size, long capacity) {
    return switch (impl) {
      case "stratacache-cpu" -> new StrataCacheContender(capacity);
      case "ehcache-offheap" -> MemoryContenders.OffHeapEhcache.viewing(capacity);
      case "ehcache-offheap-bytes" -> {
        byte[] scratch = new byte[Math.toIntExact(size)];
        yield new MemoryContenders.OffHeapEhcache<>(
            byte[].class,
            new ByteArraySerializer(),
            capacity,
            s -> {
              MemorySegment.copy(s, ValueLayout.JAVA_BYTE, 0, scratch, 0, scratch.length);
              return scratch;
            },
            MemorySegment::ofArray);
      }
      case "caffeine" -> new MemoryContenders.CaffeineBytes(capacity);
      case "memcpy" -> new MemcpyContender(size);
      default -> throw new IllegalArgumentException(
          "impl: " + impl + " (expected one of stratacache-cpu, ehcache-offheap, ehcache-offheap-bytes, caffeine, memcpy)");
    };
  }

  /** The engine over one CPU tier. */
  static final class StrataCacheContender implements KeyedCache {
    private final StorageEngine engine;
    private final ArtifactId[] ids = {ArtifactId.of("bench", "updated"), ArtifactId.of("bench", "stored")};
    private final ArtifactMeta meta = ArtifactMeta.custom();

    StrataCacheContender(long capacity) {
      engine = StorageEngine.builder().tier("hot", "cpu", Map.of("capacity", capacity)).build();
    }

    @Override
    public void put(int key, MemorySegment src) {
      engine.store(ids[key], meta, src);
    }

    @Override
    public void getInto(int key, MemorySegment dst) {
      engine.loadInto(ids[key], dst);
    }

    @Override
    public byte readByte(int key, long offset) {
      try (Lease lease = engine.load(ids[key])) {
        return lease.segment().get(ValueLayout.JAVA_BYTE, offset);
      }
    }

    @Override
    public void close() {
      engine.close();
    }
  }

  /**
   * The limit: two pre-touched native segments that {@code put} and {@code get} copy into and
   * out of, with no lookup or bookkeeping.
   */
  static final class MemcpyContender implements KeyedCache {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] slots = new MemorySegment[2];

    MemcpyContender(long size) {
      slots[UPDATED] = Payloads.pretouched(arena, size);
      slots[STORED] = Payloads.pretouched(arena, size);
    }

    @Override
    public void put(int key, MemorySegment src) {
      MemorySegment.copy(src, 0, slots[key], 0, src.byteSize());
    }

    @Override
    public void getInto(int key, MemorySegment dst) {
      MemorySegment.copy(slots[key], 0, dst, 0, slots[key].byteSize());
    }

    @Override
    public byte readByte(int key, long offset) {
      return slots[key].get(ValueLayout.JAVA_BYTE, offset);
    }

    @Override
    public void close() {
      arena.close();
    }
  }
}
