package io.stratacache.cli.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.engine.StorageEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.function.Function;
import org.ehcache.CacheManager;
import org.ehcache.config.builders.CacheConfigurationBuilder;
import org.ehcache.config.builders.CacheManagerBuilder;
import org.ehcache.config.builders.ResourcePoolsBuilder;
import org.ehcache.config.units.MemoryUnit;
import org.ehcache.spi.serialization.Serializer;

/**
 * The contenders that keep the artifact in memory: the plain copy that is their limit, Ehcache 3
 * off-heap and Caffeine (what a user would cache artifacts with instead of a tier), and any tier
 * of the engine.
 *
 * <p>The two caches ({@link OffHeapEhcache}, {@link CaffeineBytes}) are public because the JMH
 * {@code CacheComparisonBenchmark} in {@code benchmarks} measures the same set-up: one
 * definition of each, so {@code stratacache bench} and JMH compare the tiers with the same
 * caches, the same value types and the same copies.
 */
public final class MemoryContenders {
  private MemoryContenders() {}

  /** Series names. */
  static final String COPY = "plain copy";
  static final String EHCACHE = "Ehcache 3 off-heap";
  static final String CAFFEINE = "Caffeine (byte[])";

  /** A page-aligned, zeroed (so pre-touched) native segment of {@code size} bytes. */
  static MemorySegment pretouched(Arena arena, long size) {
    return arena.allocate(size, 4096);
  }

  /** Fills {@code s} with a pattern in which no two longs are equal (a dropped or repeated block shows). */
  static MemorySegment patterned(MemorySegment s) {
    for (long i = 0; i + 8 <= s.byteSize(); i += 8) {
      s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, (i + 1) * 0x9E3779B97F4A7C15L);
    }
    return s;
  }

  /** The limit: copies into and out of a pre-touched native segment, no lookup, no bookkeeping. */
  static final class Copy implements Contender {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment slot;

    Copy(long size) {
      slot = pretouched(arena, size);
    }

    @Override
    public String name() {
      return COPY;
    }

    @Override
    public void store(MemorySegment src) {
      MemorySegment.copy(src, 0, slot, 0, src.byteSize());
    }

    @Override
    public void loadInto(MemorySegment dst) {
      MemorySegment.copy(slot, 0, dst, 0, dst.byteSize());
    }

    @Override
    public void close() {
      arena.close();
    }
  }

  /** An engine of one tier: {@link StorageEngine#store} and {@link StorageEngine#loadInto}. */
  static final class Engine implements Contender {
    private final String name;
    private final StorageEngine engine;
    private final ArtifactId id = ArtifactId.of("bench", "artifact");
    private final ArtifactMeta meta = ArtifactMeta.custom();

    /** An engine with one tier of {@code provider} and {@code settings}. */
    Engine(String name, String provider, Map<String, ?> settings) {
      this.name = name;
      this.engine = StorageEngine.builder().tier("bench", provider, settings).build();
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void store(MemorySegment src) {
      engine.store(id, meta, src);
    }

    @Override
    public void loadInto(MemorySegment dst) {
      engine.loadInto(id, dst);
    }

    @Override
    public void close() {
      engine.close();
    }
  }

  /**
   * A cache under test that holds artifacts under small integer keys, from and into native
   * memory the caller owns. The CLI measures one artifact (key 0) through {@link #asContender};
   * the JMH {@code CacheComparisonBenchmark} uses several keys and {@link #readByte}.
   */
  public interface KeyedCache extends AutoCloseable {
    /** Stores (or replaces) the bytes of {@code src} under {@code key}. */
    void put(int key, MemorySegment src);

    /**
     * Copies the artifact under {@code key} into {@code dst} from offset 0.
     *
     * @throws IllegalStateException if nothing is stored under {@code key}
     */
    void getInto(int key, MemorySegment dst);

    /**
     * The byte at {@code offset} of the artifact under {@code key}, by the cheapest access the
     * cache offers.
     *
     * @throws IllegalStateException if nothing is stored under {@code key}
     */
    byte readByte(int key, long offset);

    @Override
    void close();
  }

  /** {@code cache} as the series {@code name}: the artifact under key 0. */
  static Contender asContender(String name, KeyedCache cache) {
    return new Contender() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public void store(MemorySegment src) {
        cache.put(0, src);
      }

      @Override
      public void loadInto(MemorySegment dst) {
        cache.getInto(0, dst);
      }

      @Override
      public void close() {
        cache.close();
      }
    };
  }

  /**
   * Ehcache 3 with an off-heap resource pool only, {@code Long} keys and values of type {@code V}
   * serialized by a given {@link Serializer}. {@link #viewing} is the contender both benchmarks
   * run: {@link ByteBuffer} values that view the caller's segment on a put.
   */
  public static final class OffHeapEhcache<V> implements KeyedCache {
    private final CacheManager manager;
    private final org.ehcache.Cache<Long, V> cache;
    private final Function<MemorySegment, V> toValue;
    private final Function<V, MemorySegment> bytesOf;

    /**
     * {@link ByteBuffer} values through {@link ViewSerializer}: a put hands Ehcache a view of the
     * caller's segment (so the bytes reach it without a first copy into an array); a get copies
     * out of the off-heap pages into a new heap buffer, then into the caller's segment.
     *
     * @param capacity the off-heap pool's size in bytes
     */
    public static OffHeapEhcache<ByteBuffer> viewing(long capacity) {
      return new OffHeapEhcache<>(ByteBuffer.class, new ViewSerializer(), capacity, MemorySegment::asByteBuffer, MemorySegment::ofBuffer);
    }

    /**
     * @param type the value type
     * @param serializer how Ehcache stores values off-heap
     * @param capacity the off-heap pool's size in bytes
     * @param toValue what a put passes to Ehcache for the caller's segment
     * @param bytesOf the bytes of a value Ehcache's get returned
     */
    public OffHeapEhcache(
        Class<V> type, Serializer<V> serializer, long capacity, Function<MemorySegment, V> toValue, Function<V, MemorySegment> bytesOf) {
      this.toValue = toValue;
      this.bytesOf = bytesOf;
      manager = CacheManagerBuilder.newCacheManagerBuilder().build(true);
      cache = manager.createCache("artifacts", CacheConfigurationBuilder
          .newCacheConfigurationBuilder(Long.class, type, ResourcePoolsBuilder.newResourcePoolsBuilder().offheap(capacity, MemoryUnit.B))
          .withValueSerializer(serializer)
          .build());
    }

    @Override
    public void put(int key, MemorySegment src) {
      cache.put((long) key, toValue.apply(src));
    }

    @Override
    public void getInto(int key, MemorySegment dst) {
      MemorySegment bytes = bytes(key);
      MemorySegment.copy(bytes, 0, dst, 0, bytes.byteSize());
    }

    @Override
    public byte readByte(int key, long offset) {
      return bytes(key).get(ValueLayout.JAVA_BYTE, offset);
    }

    private MemorySegment bytes(int key) {
      return bytesOf.apply(present(EHCACHE, cache.get((long) key), key));
    }

    @Override
    public void close() {
      manager.close();
    }
  }

  /**
   * Hands the caller's buffer to Ehcache without a copy (Ehcache copies it into its own pages
   * during the put); {@link #read} copies the stored bytes into a new heap buffer, since the one
   * Ehcache passes is valid only during the call.
   */
  public static final class ViewSerializer implements Serializer<ByteBuffer> {
    @Override
    public ByteBuffer serialize(ByteBuffer value) {
      return value.duplicate();
    }

    @Override
    public ByteBuffer read(ByteBuffer binary) {
      return ByteBuffer.allocate(binary.remaining()).put(binary).flip();
    }

    @Override
    public boolean equals(ByteBuffer value, ByteBuffer binary) {
      return value.equals(binary);
    }
  }

  /**
   * Caffeine with {@code byte[]} values weighed by length: a put copies into a new array (the
   * cache keeps the array itself), a get copies the array into the caller's segment, and {@link
   * #readByte} reads the cached array itself.
   */
  public static final class CaffeineBytes implements KeyedCache {
    private final Cache<Long, byte[]> cache;

    /** @param capacity the most bytes of values the cache holds */
    public CaffeineBytes(long capacity) {
      cache = Caffeine.newBuilder().maximumWeight(capacity).weigher((Long k, byte[] v) -> v.length).build();
    }

    @Override
    public void put(int key, MemorySegment src) {
      cache.put((long) key, src.toArray(ValueLayout.JAVA_BYTE));
    }

    @Override
    public void getInto(int key, MemorySegment dst) {
      byte[] value = present(CAFFEINE, cache.getIfPresent((long) key), key);
      MemorySegment.copy(value, 0, dst, ValueLayout.JAVA_BYTE, 0, value.length);
    }

    @Override
    public byte readByte(int key, long offset) {
      return present(CAFFEINE, cache.getIfPresent((long) key), key)[Math.toIntExact(offset)];
    }

    @Override
    public void close() {
      cache.invalidateAll();
    }
  }

  private static <V> V present(String cache, V value, int key) {
    if (value == null) {
      throw new IllegalStateException(cache + ": artifact " + key + " is missing (expected: stored before it is loaded)");
    }
    return value;
  }
}
