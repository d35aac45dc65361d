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
 */
final class MemoryContenders {
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
   * Ehcache 3 with an off-heap pool only, {@link ByteBuffer} values that view the caller's segment
   * on a put (so the bytes reach Ehcache without a first copy into an array).
   */
  static final class Ehcache implements Contender {
    private final CacheManager manager;
    private final org.ehcache.Cache<Long, ByteBuffer> cache;

    Ehcache(long capacity) {
      manager = CacheManagerBuilder.newCacheManagerBuilder().build(true);
      cache = manager.createCache("artifacts", CacheConfigurationBuilder
          .newCacheConfigurationBuilder(Long.class, ByteBuffer.class, ResourcePoolsBuilder.newResourcePoolsBuilder().offheap(capacity, MemoryUnit.B))
          .withValueSerializer(new ViewSerializer())
          .build());
    }

    @Override
    public String name() {
      return EHCACHE;
    }

    @Override
    public void store(MemorySegment src) {
      cache.put(0L, src.asByteBuffer());
    }

    @Override
    public void loadInto(MemorySegment dst) {
      ByteBuffer value = cache.get(0L);
      if (value == null) {
        throw new IllegalStateException(EHCACHE + ": the artifact is missing (expected: stored before loading)");
      }
      MemorySegment.copy(MemorySegment.ofBuffer(value), 0, dst, 0, dst.byteSize());
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
  static final class ViewSerializer implements Serializer<ByteBuffer> {
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

  /** Caffeine with {@code byte[]} values weighed by length: a put copies into a new array. */
  static final class CaffeineCache implements Contender {
    private final Cache<Long, byte[]> cache;

    CaffeineCache(long capacity) {
      cache = Caffeine.newBuilder().maximumWeight(capacity).weigher((Long k, byte[] v) -> v.length).build();
    }

    @Override
    public String name() {
      return CAFFEINE;
    }

    @Override
    public void store(MemorySegment src) {
      cache.put(0L, src.toArray(ValueLayout.JAVA_BYTE));
    }

    @Override
    public void loadInto(MemorySegment dst) {
      byte[] value = cache.getIfPresent(0L);
      if (value == null) {
        throw new IllegalStateException(CAFFEINE + ": the artifact is missing (expected: stored before loading)");
      }
      MemorySegment.copy(value, 0, dst, ValueLayout.JAVA_BYTE, 0, value.length);
    }

    @Override
    public void close() {
      cache.invalidateAll();
    }
  }
}
